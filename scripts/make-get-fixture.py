"""Writes src/testing/import-fixtures/tiny-torchvision-vgg5.pth: a torchvision-format VGG with five blocks
(one 4-channel convolution each, 224 px input → 7×7, 10 classes) for `advbn get vgg19` tests and the
fresh-clone e2e. Small (≈ 30 kB) but shaped like VGG-19 where the app looks: block5_pool, a 224 px input,
three classifier layers. Run with PyTorch (/usr/bin/python3 scripts/make-get-fixture.py)."""
import os
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'testing', 'import-fixtures', 'tiny-torchvision-vgg5.pth')
torch.manual_seed(5)
layers = []
cin = 3
for _ in range(5):
    layers += [nn.Conv2d(cin, 4, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2, 2)]
    cin = 4
features = nn.Sequential(*layers)
classifier = nn.Sequential(nn.Linear(4 * 7 * 7, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 10))
sd = {**{f'features.{k}': v for k, v in features.state_dict().items()}, **{f'classifier.{k}': v for k, v in classifier.state_dict().items()}}
for v in sd.values():
    v.data.normal_(0, 0.3)
torch.save(sd, OUT)
print('wrote', OUT, os.path.getsize(OUT), 'bytes')
