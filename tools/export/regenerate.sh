#!/usr/bin/env bash
# Rebuilds every shipped trace bundle under traces/ from scratch:
#   tools/export/regenerate.sh            (from anywhere in the repo)
# Installs the pinned exporter dependencies (npm ci) if needed, fetches the
# darknet .deb for its photos (apt-get download, nothing installed), removes
# and rewrites each bundle, then self-checks it with verify.js.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
cd "$root"

DOG=/usr/share/darknet/data/dog.jpg

# InceptionV3: stem convs (on pixels; on activation_1), 1x1, 5x5, 3x3,
# 7x1 / 1x7, stride-2 3x3, 1x3 / 3x1 and 1x1 on 8x8 inputs, the first dense.
INCEPTION_LAYERS=conv2d_1,conv2d_2,conv2d_6,conv2d_8,conv2d_11,conv2d_36,conv2d_37,conv2d_66,conv2d_72,conv2d_79,conv2d_80,conv2d_94,dense_1
# MobileNetV2: first conv (on pixels, its ZeroPadding2D folded), depthwise
# s1 / s2, projections (ReLU6 inputs), signed expansions and Conv_1.
MOBILENET_LAYERS=Conv1,block_1_project,block_4_depthwise,block_6_expand,block_6_depthwise,block_13_depthwise,block_13_project,block_14_expand,block_16_project,Conv_1

rm -rf traces/inceptionv3-dog traces/mobilenetv2-dog
node tools/export/export.js --model inceptionv3 --image "$DOG" --layers "$INCEPTION_LAYERS" \
  --out traces/inceptionv3-dog \
  --stats-tensors activation_1,activation_3,activation_5,activation_11,activation_35,activation_65,activation_94
node tools/export/export.js --model mobilenetv2 --image "$DOG" --layers "$MOBILENET_LAYERS" \
  --out traces/mobilenetv2-dog \
  --stats-tensors block_1_expand_relu,block_6_expand_relu,block_13_expand_relu,block_16_depthwise_relu,out_relu
node tools/export/verify.js traces/inceptionv3-dog
node tools/export/verify.js traces/mobilenetv2-dog
du -sh traces/inceptionv3-dog traces/mobilenetv2-dog
