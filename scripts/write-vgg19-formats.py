#!/usr/bin/python3
"""Writes the shared VGG-19 (TF.js layers folder) in the two layouts people download, for the full-size
import test (dev-only, never committed: the weights are third-party):

    /usr/bin/python3 scripts/write-vgg19-formats.py SRC_DIR OUT_DIR

  OUT_DIR/vgg19-torchvision.pth   torchvision's vgg19 state dict (features.N.*, classifier.{0,3,6}.*, OIHW,
                                  C·H·W flatten), saved by torch.save; the first conv folded so that the
                                  model takes torchvision's normalisation instead of Caffe's
  OUT_DIR/vgg19-keras.h5          keras.applications' layout (layer_names / weight_names, Keras 2 names
                                  block1_conv1/kernel:0), written by h5py
"""
import json, os, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_weights import read_tfjs_layers_folder  # noqa: E402
import torch
import h5py

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
_, weights = read_tfjs_layers_folder(src)

convs = [n[:-len('/kernel')] for n in weights if n.startswith('block') and n.endswith('/kernel')]
dense = ['fc1', 'fc2', 'predictions']

# Keras layout
layer_names = ['input_1']
for c in convs:
    layer_names.append(c)
    if c.endswith('_conv4') or (c.startswith(('block1', 'block2')) and c.endswith('_conv2')):
        layer_names.append(c.split('_')[0] + '_pool')
layer_names += ['flatten'] + dense
with h5py.File(os.path.join(out, 'vgg19-keras.h5'), 'w') as f:
    f.attrs['layer_names'] = np.array([n.encode() for n in layer_names])
    f.attrs['backend'] = b'tensorflow'
    f.attrs['keras_version'] = b'2.2.4'
    for n in layer_names:
        g = f.create_group(n)
        names = [f'{n}/kernel:0', f'{n}/bias:0'] if f'{n}/kernel' in weights else []
        g.attrs['weight_names'] = np.array([s.encode() for s in names], dtype='S' if names else 'S1')
        for s, key in zip(names, ['kernel', 'bias']):
            g.create_dataset(s, data=weights[f'{n}/{key}'])

# torchvision layout: features indices as torchvision's vgg19 (conv, ReLU, and a MaxPool after each block)
sd = {}
i = 0
mean = np.array([0.485, 0.456, 0.406], np.float32); std = np.array([0.229, 0.224, 0.225], np.float32)
caffe_bgr = np.array([103.939, 116.779, 123.68], np.float32)
for k, c in enumerate(convs):
    w = weights[f'{c}/kernel']  # HWIO
    b = weights[f'{c}/bias'].copy()
    if k == 0:
        # Caffe input (BGR·255 − mean) from torchvision input x: rgb = x·std + mean.
        # channel k of the Keras input is rgb[2-k]·255 − caffe_bgr[k] = 255·std[2-k]·x[2-k] + (255·mean[2-k] − caffe_bgr[k]).
        wr = w[:, :, ::-1, :]  # input channels in RGB order
        b = b + np.einsum('hwco,c->o', wr, 255 * mean - caffe_bgr[::-1])
        w = wr * (255 * std)[None, None, :, None]
    sd[f'features.{i}.weight'] = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))
    sd[f'features.{i}.bias'] = torch.from_numpy(b)
    i += 2
    if c.endswith('_conv4') or (c.startswith(('block1', 'block2')) and c.endswith('_conv2')):
        i += 1
for n, idx in zip(dense, [0, 3, 6]):
    w = weights[f'{n}/kernel']  # [in, out]
    if idx == 0:  # H·W·C → C·H·W
        w = w.reshape(7, 7, 512, -1).transpose(2, 0, 1, 3).reshape(25088, -1)
    sd[f'classifier.{idx}.weight'] = torch.from_numpy(np.ascontiguousarray(w.T))
    sd[f'classifier.{idx}.bias'] = torch.from_numpy(weights[f'{n}/bias'].copy())
torch.save(sd, os.path.join(out, 'vgg19-torchvision.pth'))
print(json.dumps({k: os.path.getsize(os.path.join(out, k)) for k in os.listdir(out)}))
