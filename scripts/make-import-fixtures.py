#!/usr/bin/python3
"""Writes the tiny import fixtures with the real libraries (dev-only; run once, outputs are committed).

    /usr/bin/python3 scripts/make-import-fixtures.py   # needs Debian's python3-torch and python3-h5py

Each fixture is a miniature of a real file people have, in that file's exact layout:
  tiny-torchvision-vgg.pth         torchvision VGG state dict (features.N.*, classifier.{0,3,6}.*), zip format
  tiny-torchvision-vgg-legacy.pth  the same in the older non-zip serialization (as torchvision's 2017 files)
  tiny-torchvision-vgg-deflated.pth  the same zip re-packed with deflate
  tiny-torchvision-vgg3.pth        a three-block torchvision VGG (56 px) for the authors' pipeline in miniature
  tiny-keras-vgg.h5                keras.applications VGG weights layout (layer_names, weight_names, W:0/b:0)
  tiny-keras-vgg-notop.h5          the _notop variant (convolutions only)
  tiny-adain-vgg-normalised.pth    AdaIN's vgg_normalised (1×1 conv first, reflection pads, ceil-mode pools), legacy
  tiny-adain-decoder.pth           AdaIN / AdvBN decoder (1.weight …, reflection pads, nearest ×2), legacy
  tiny-optimizer-checkpoint.pth, tiny-resnet.pth, tiny-wrong-shape.pth   files the import must refuse
and import-fixtures.json: a fixed input and the outputs torch computed for it (NHWC, flattened).
"""
import json, os, sys
import numpy as np
import torch, torch.nn as nn
import h5py

OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'testing', 'import-fixtures')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(11)

def fixed_input(size):
    """Deterministic RGB in [0, 1], NCHW."""
    h = torch.arange(size, dtype=torch.float32).view(size, 1)
    w = torch.arange(size, dtype=torch.float32).view(1, size)
    chans = [0.5 + 0.5 * torch.sin(0.37 * h + 0.23 * w + c) for c in range(3)]
    return torch.stack(chans).unsqueeze(0)

def nhwc(t):
    flat = t.detach().permute(0, 2, 3, 1).reshape(-1) if t.dim() == 4 else t.detach().reshape(-1)
    return [float('%.7g' % v) for v in flat.tolist()]

refs = {}

# --- torchvision-style VGG: two blocks, 28 px input → 7×7 before the classifier (AdaptiveAvgPool is identity).
class TinyVGG(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(True), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(8 * 7 * 7, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 10))
    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

vgg = TinyVGG().eval()
for p in vgg.parameters():
    p.data.normal_(0, 0.3)
x = fixed_input(28)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
with torch.no_grad():
    refs['torchvision'] = {'input': nhwc(x), 'inputShape': [1, 28, 28, 3], 'logits': nhwc(vgg((x - mean) / std)),
                           'block2_conv1': nhwc(vgg.features[:7]((x - mean) / std))}
torch.save(vgg.state_dict(), os.path.join(OUT, 'tiny-torchvision-vgg.pth'))
torch.save(vgg.state_dict(), os.path.join(OUT, 'tiny-torchvision-vgg-legacy.pth'), _use_new_zipfile_serialization=False)
# The same zip re-packed with deflate (torch reads it; exercises the compressed-archive path).
import zipfile
with zipfile.ZipFile(os.path.join(OUT, 'tiny-torchvision-vgg.pth')) as zin, zipfile.ZipFile(os.path.join(OUT, 'tiny-torchvision-vgg-deflated.pth'), 'w', zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        zout.writestr(info.filename, zin.read(info.filename))
assert torch.load(os.path.join(OUT, 'tiny-torchvision-vgg-deflated.pth'))['features.0.weight'].equal(vgg.state_dict()['features.0.weight'])

# --- the same weights in the keras.applications layout (TF ordering: HWIO kernels, H·W·C flatten), Caffe preprocessing.
def write_keras(path, top):
    sd = vgg.state_dict()
    convs = [('block1_conv1', 0), ('block1_conv2', 2), ('block2_conv1', 5)]
    layers = ['input_1', 'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_pool']
    if top:
        layers += ['flatten', 'fc1', 'fc2', 'predictions']
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = np.array([n.encode() for n in layers])
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'2.0.8'
        for n in layers:
            g = f.create_group(n)
            g.attrs['weight_names'] = np.array([], dtype='S1')
        for name, i in convs:  # Keras-1 era names, as in the released vgg19 files
            k = sd[f'features.{i}.weight'].permute(2, 3, 1, 0).numpy()
            f[name].create_dataset(f'{name}_W_1:0', data=k)
            f[name].create_dataset(f'{name}_b_1:0', data=sd[f'features.{i}.bias'].numpy())
            f[name].attrs['weight_names'] = np.array([f'{name}_W_1:0'.encode(), f'{name}_b_1:0'.encode()])
        if top:
            for name, i in [('fc1', 0), ('fc2', 3), ('predictions', 6)]:
                w = sd[f'classifier.{i}.weight']
                if i == 0:  # PyTorch flattens C·H·W, Keras H·W·C
                    w = w.view(16, 8, 7, 7).permute(0, 2, 3, 1).reshape(16, -1)
                f[name].create_dataset(f'{name}_W_1:0', data=w.t().contiguous().numpy())
                f[name].create_dataset(f'{name}_b_1:0', data=sd[f'classifier.{i}.bias'].numpy())
                f[name].attrs['weight_names'] = np.array([f'{name}_W_1:0'.encode(), f'{name}_b_1:0'.encode()])

write_keras(os.path.join(OUT, 'tiny-keras-vgg.h5'), True)
write_keras(os.path.join(OUT, 'tiny-keras-vgg-notop.h5'), False)
caffe = (x.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1))
# The Keras file holds the same kernels, read as HWIO on BGR input: torch's model on the Caffe-preprocessed
# image with its channels in B, G, R order computes what Keras computes.
with torch.no_grad():
    refs['keras'] = {'input': nhwc(x), 'inputShape': [1, 28, 28, 3], 'logits': nhwc(vgg(caffe)),
                     'block2_conv1': nhwc(vgg.features[:7](caffe))}

# --- AdaIN vgg_normalised (tiny channels, the real index pattern up to relu4_1 and one layer beyond).
def enc_layers():
    P = lambda: nn.ReflectionPad2d((1, 1, 1, 1))
    M = lambda: nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)
    return nn.Sequential(
        nn.Conv2d(3, 3, (1, 1)),
        P(), nn.Conv2d(3, 4, (3, 3)), nn.ReLU(),  # relu1_1
        P(), nn.Conv2d(4, 4, (3, 3)), nn.ReLU(), M(),
        P(), nn.Conv2d(4, 8, (3, 3)), nn.ReLU(),  # relu2_1
        P(), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(), M(),
        P(), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(),  # relu3_1
        P(), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(),
        P(), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(),
        P(), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(), M(),
        P(), nn.Conv2d(8, 16, (3, 3)), nn.ReLU(),  # relu4_1 (index 30)
        P(), nn.Conv2d(16, 16, (3, 3)), nn.ReLU())

enc = enc_layers().eval()
for p in enc.parameters():
    p.data.normal_(0, 0.4)
dec = nn.Sequential(
    nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(16, 8, (3, 3)), nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(8, 8, (3, 3)), nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(8, 4, (3, 3)), nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(4, 4, (3, 3)), nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(4, 3, (3, 3))).eval()
for p in dec.parameters():
    p.data.normal_(0, 0.2)
xa = fixed_input(30)  # odd sizes on the way down exercise the ceil-mode pools: 30 → 15 → 8 → 4
with torch.no_grad():
    f = enc[:31](xa)
    refs['adain'] = {'input': nhwc(xa), 'inputShape': [1, 30, 30, 3], 'relu4_1': nhwc(f), 'relu4_1Shape': list(f.permute(0, 2, 3, 1).shape),
                     'decoded': nhwc(dec(f)), 'decodedShape': list(dec(f).permute(0, 2, 3, 1).shape)}
torch.save(enc.state_dict(), os.path.join(OUT, 'tiny-adain-vgg-normalised.pth'), _use_new_zipfile_serialization=False)
torch.save(dec.state_dict(), os.path.join(OUT, 'tiny-adain-decoder.pth'), _use_new_zipfile_serialization=False)

# --- files the import must refuse
opt = torch.optim.SGD(vgg.parameters(), lr=0.1, momentum=0.9)
vgg(torch.zeros(1, 3, 28, 28)).sum().backward()
opt.step()
torch.save({'epoch': 3, 'optimizer': opt.state_dict()}, os.path.join(OUT, 'tiny-optimizer-checkpoint.pth'))
resnet = nn.Module()
resnet.conv1 = nn.Conv2d(3, 4, 7, 2, 3, bias=False)
resnet.bn1 = nn.BatchNorm2d(4)
resnet.fc = nn.Linear(4, 10)
torch.save(resnet.state_dict(), os.path.join(OUT, 'tiny-resnet.pth'))
bad = dict(vgg.state_dict())
bad['classifier.3.weight'] = torch.zeros(16, 12)
torch.save(bad, os.path.join(OUT, 'tiny-wrong-shape.pth'))

# --- the authors' pipeline in miniature: vgg_normalised relu4_1 → decoder → a torchvision VGG with three
# blocks (56 px, so that 56 → 7 at relu4_1 → 56 decoded). Reference: C(normalise(D(E(x)))) at δ = 1.
class TinyVGG3(TinyVGG):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2))

vgg3 = TinyVGG3().eval()
for p in vgg3.parameters():
    p.data.normal_(0, 0.3)
torch.save(vgg3.state_dict(), os.path.join(OUT, 'tiny-torchvision-vgg3.pth'))
x56 = fixed_input(56)
with torch.no_grad():
    decoded = dec(enc[:31](x56))
    refs['pipeline'] = {'input': nhwc(x56), 'inputShape': [1, 56, 56, 3], 'decoded': nhwc(decoded),
                        'logits': nhwc(vgg3((decoded.clamp(0, 1) - mean) / std)), 'cleanLogits': nhwc(vgg3((x56 - mean) / std))}

refs['versions'] = {'torch': torch.__version__, 'h5py': h5py.__version__, 'python': sys.version.split()[0]}
with open(os.path.join(OUT, 'import-fixtures.json'), 'w') as fh:
    json.dump(refs, fh)
print('wrote', sorted(os.listdir(OUT)))
