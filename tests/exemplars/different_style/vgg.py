"""d2l 8.2 — VGG."""
import itertools

from torch import nn

VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg_block(num_convs, in_channels, out_channels):
    chans = [in_channels] + [out_channels] * num_convs
    pairs = ((nn.Conv2d(a, b, 3, padding=1), nn.ReLU()) for a, b in zip(chans, chans[1:]))
    return nn.Sequential(*itertools.chain.from_iterable(pairs), nn.MaxPool2d(2, 2))


def vgg(conv_arch, in_channels=1, num_classes=10):
    arch = list(conv_arch)
    widths = [in_channels] + [c for _, c in arch]
    blocks = [vgg_block(n, widths[i], widths[i + 1]) for i, (n, _) in enumerate(arch)]
    head = [nn.Flatten()]
    for fan_in in (widths[-1] * 7 * 7, 4096):
        head += [nn.Linear(fan_in, 4096), nn.ReLU(), nn.Dropout(p=0.5)]
    head.append(nn.Linear(4096, num_classes))
    return nn.Sequential(*blocks, *head)
