'use strict';
// Real photos from Debian packages: locate (installing nothing system-wide),
// record provenance, decode (pure JS) and preprocess like nsfwjs.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

// Debian packages whose files we know how to fetch when not installed.
const KNOWN_PACKAGES = [
  { prefix: '/usr/share/darknet/', pkg: 'darknet' },
  { prefix: '/usr/lib/python3/dist-packages/skimage/', pkg: 'python3-skimage' },
  { prefix: '/usr/share/doc/opencv-doc/', pkg: 'opencv-doc' },
  { prefix: '/usr/share/backgrounds/mate/', pkg: 'mate-backgrounds' },
];

const CACHE = process.env.SPARQ_EXPORT_CACHE || path.join(__dirname, '..', '.cache');

function sh(cmd, args, opts = {}) {
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return (out || '').trim();
}

function sha256File(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// Fetch PKG's .deb with `apt-get download` into the cache and unpack it with
// `dpkg-deb -x` (no dependencies, nothing installed). Returns {root, version}.
function extractedPackage(pkg) {
  const debDir = path.join(CACHE, 'debs');
  const root = path.join(CACHE, 'root', pkg);
  fs.mkdirSync(debDir, { recursive: true });
  let deb = fs.readdirSync(debDir).find((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'));
  if (!deb) {
    process.stderr.write(`fetching Debian package ${pkg} (apt-get download) into ${debDir}\n`);
    try {
      sh('apt-get', ['download', pkg], { cwd: debDir });
    } catch (e) {
      // A fresh machine may not have package lists yet.
      process.stderr.write(`apt-get download ${pkg} failed; running apt-get update and retrying\n`);
      sh('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
      sh('apt-get', ['download', pkg], { cwd: debDir });
    }
    deb = fs.readdirSync(debDir).find((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
  }
  const debPath = path.join(debDir, deb);
  const version = sh('dpkg-deb', ['-f', debPath, 'Version']);
  const stamp = path.join(root, '.extracted-from');
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== deb) {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    sh('dpkg-deb', ['-x', debPath, root]);
    fs.writeFileSync(stamp, deb);
  }
  return { root, version };
}

// Resolve an image named by its path inside a Debian package. Uses the
// installed file when the package is installed, else the package's .deb
// unpacked under the cache. Returns provenance plus the local file to read.
function locateImage(imagePath) {
  const abs = path.resolve(imagePath);
  let pkg = null;
  let version = null;
  if (fs.existsSync(abs)) {
    try {
      pkg = sh('dpkg-query', ['-S', abs]).split('\n')[0].split(':')[0].trim();
      version = sh('dpkg-query', ['-W', '-f=${Version}', pkg]);
    } catch (e) { pkg = null; }
    if (pkg) return { path: abs, file: abs, debian_package: pkg, package_version: version, sha256: sha256File(abs) };
  }
  const known = KNOWN_PACKAGES.find((k) => abs.startsWith(k.prefix));
  if (!known) {
    if (!fs.existsSync(abs)) throw new Error(`image ${abs} not found`);
    // A file that no Debian package owns: allowed, recorded as such.
    return { path: abs, file: abs, debian_package: 'none', package_version: 'none', sha256: sha256File(abs) };
  }
  const { root, version: v } = extractedPackage(known.pkg);
  const file = path.join(root, abs);
  if (!fs.existsSync(file)) throw new Error(`${abs} is not in Debian package ${known.pkg} ${v}`);
  return { path: abs, file, debian_package: known.pkg, package_version: v, sha256: sha256File(file) };
}

// Decode a JPEG or PNG into RGB uint8 [H, W, 3] (alpha dropped, as
// tf.browser.fromPixels does; grey images are expanded to RGB).
function decodeImage(file) {
  const buf = fs.readFileSync(file);
  let rgba;
  let width;
  let height;
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    ({ width, height } = img);
    rgba = img.data;
  } else if (buf.toString('latin1', 1, 4) === 'PNG') {
    const img = PNG.sync.read(buf); // 16-bit samples are rescaled to 8 bit
    ({ width, height } = img);
    rgba = img.data;
  } else {
    throw new Error(`${file}: neither JPEG nor PNG`);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    rgb[3 * i] = rgba[j];
    rgb[3 * i + 1] = rgba[j + 1];
    rgb[3 * i + 2] = rgba[j + 2];
  }
  return { rgb, height, width };
}

module.exports = { locateImage, decodeImage, sha256File, CACHE };
