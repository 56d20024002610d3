"""The Keras MNIST convnet (bench/models.mjs kerasConvnet) trained with native PyTorch on one thread, for
`npm run bench` (bench/issue13.mjs): the same layers, plain SGD (lr 0.01) on softmax cross-entropy, batch 64.

Protocol: reads one line per round on stdin ("round <minMs>"), trains for at least minMs and prints one
JSON line {"ms": per-step milliseconds}; "quit" ends. So the Node side interleaves PyTorch rounds with its
own in one run. Run by Debian's /usr/bin/python3 with python3-torch.
"""
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)
BATCH = 64

model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1600, 10),
)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy from the logits, as simdnet fuses them
x = torch.rand(BATCH, 1, 28, 28)
y = torch.randint(0, 10, (BATCH,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


for _ in range(5):
    step()
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts or parts[0] == "quit":
        break
    min_ms = float(parts[1]) if len(parts) > 1 else 500.0
    step()
    n = 0
    t0 = time.perf_counter()
    while True:
        step()
        n += 1
        dt = (time.perf_counter() - t0) * 1000
        if dt >= min_ms and n >= 2:
            break
    print(json.dumps({"ms": dt / n}), flush=True)
