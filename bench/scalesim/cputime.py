#!/usr/bin/env python3
"""Run a command and record its resource use, like `/usr/bin/time -f`, but
with microsecond CPU times (GNU time prints hundredths of a second, too coarse
for runs of a few tens of milliseconds).

    cputime.py [--cpu-limit SECONDS] RESULT_FILE COMMAND [ARGS...]

Writes one line to RESULT_FILE:
    wall_s user_s sys_s maxrss_kib status
status is the command's exit code, or 128 + signal when a signal ended it
(SIGXCPU = 152 / SIGKILL = 137 when --cpu-limit stopped it). The times come
from wait4(2)'s rusage of the child (user + sys = process CPU time). The
command inherits stdin, stdout and stderr. Exits 0 once the line is written.
"""
import os
import resource
import sys
import time


def main(argv):
    limit = None
    if len(argv) > 1 and argv[0] == "--cpu-limit":
        limit = int(argv[1])
        argv = argv[2:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    result, cmd = argv[0], argv[1:]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            if limit:
                # SIGXCPU at `limit` CPU seconds, SIGKILL a little later.
                resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))
            os.execvp(cmd[0], cmd)
        except OSError as e:
            sys.stderr.write(f"cputime.py: {cmd[0]}: {e}\n")
        os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    with open(result, "w") as f:
        f.write(f"{wall:.6f} {ru.ru_utime:.6f} {ru.ru_stime:.6f} {ru.ru_maxrss} {code}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
