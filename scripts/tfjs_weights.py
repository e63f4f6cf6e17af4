"""Reads a TF.js layers-format folder (model.json + shards) in Python: the layer list and the weights,
dequantised as TF.js does (uint8/uint16: value·scale + min in float32; float16 widened). Shared by the
dev scripts that rebuild the shared VGG-19 in PyTorch (reference_perturb.py, write-vgg19-formats.py)."""
import json
import os

import numpy as np


def read_tfjs_layers_folder(folder):
    """(Keras layer configs, {weight name: float32 ndarray}) of a TF.js layers-format folder."""
    with open(os.path.join(folder, 'model.json')) as f:
        model = json.load(f)
    weights = {}
    for group in model['weightsManifest']:
        buf = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            dtype = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16}[q['dtype']] if q else np.float32
            raw = np.frombuffer(buf, dtype=dtype, count=n, offset=offset)
            offset += n * raw.itemsize
            if q and q['dtype'] != 'float16':
                v = raw.astype(np.float32) * np.float32(q['scale']) + np.float32(q['min'])
            else:
                v = raw.astype(np.float32)
            weights[w['name']] = np.array(v, dtype=np.float32).reshape(w['shape'])
    config = model['modelTopology']['model_config']['config']
    layers = config['layers'] if isinstance(config, dict) else config
    return layers, weights
