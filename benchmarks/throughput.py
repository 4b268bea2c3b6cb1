#!/usr/bin/env python3
"""Training throughput (images/s) of the seed baseline and the default AgeVAE, fp32 and bf16 autocast.

Usage: python benchmarks/throughput.py [--size 64] [--batch 128] [--steps 20] [--device auto]
Runs full training steps (forward, loss, backward, AdamW step) on random data; prints a table.
"""
import argparse, json, sys, time
from pathlib import Path
import torch
from agevae.model import VAEConfig, build_model
from agevae.train import TrainStep

def bench(name, cfg, device, batch, steps, amp):
    torch.manual_seed(0)
    model = build_model(name, cfg).to(device).train()
    step = TrainStep(model)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    S = cfg.image_size
    b = dict(x=torch.rand(batch, 3, S, S, device=device) * 2 - 1, age=torch.rand(batch, device=device) * 0.7,
             gender=torch.randint(0, 2, (batch,), device=device), weight=torch.ones(batch, device=device))
    ctx = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp == 'bf16')
    def one():
        with ctx(): t = step(b, 0)
        opt.zero_grad(); t['total'].backward(); opt.step()
    for _ in range(3): one()
    if device.type == 'cuda': torch.cuda.synchronize()
    t0 = time.time()
    for _ in range(steps): one()
    if device.type == 'cuda': torch.cuda.synchronize()
    return batch * steps / (time.time() - t0), sum(p.numel() for p in model.parameters())

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, default=64); ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--steps', type=int, default=20); ap.add_argument('--device', default='auto')
    ap.add_argument('--results', default='figures/throughput_cpu.json', help="results file the README table is rendered from ('' : none)")
    a = ap.parse_args()
    dev = torch.device(('cuda' if torch.cuda.is_available() else 'cpu') if a.device == 'auto' else a.device)
    print(f'device {dev} ({torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{torch.get_num_threads()} CPU threads"}), '
          f'{a.size} px, batch {a.batch}, torch {torch.__version__}')
    small = json.loads(Path('configs/cpu-small.json').read_text())['model']
    models = {'seed': VAEConfig(image_size=a.size, latent_dim=256, beta=1.0, adv_weight=0),
              'agevae (decoder)': VAEConfig(image_size=a.size), 'agevae (posthoc)': VAEConfig(image_size=a.size, age_mode='posthoc'),
              'cpu-small decoder': VAEConfig(**{**small, 'image_size': a.size})}
    print(f"{'model':<18} {'params':>10} {'fp32 img/s':>11} {'bf16 img/s':>11}")
    rows = []
    for label, cfg in models.items():
        name = 'seed' if label == 'seed' else 'agevae'
        r = {amp: bench(name, cfg, dev, a.batch, a.steps, amp) for amp in ('fp32', 'bf16')}
        print(f"{label:<18} {r['fp32'][1]:>10,} {r['fp32'][0]:>11.0f} {r['bf16'][0]:>11.0f}")
        rows.append(dict(model=label, params=r['fp32'][1], fp32=r['fp32'][0], bf16=r['bf16'][0]))
    if a.results:
        Path(a.results).parent.mkdir(parents=True, exist_ok=True)
        Path(a.results).write_text(json.dumps(dict(kind='throughput', command='python ' + ' '.join(sys.argv), device=str(dev),
                                                   threads=torch.get_num_threads(), size=a.size, batch=a.batch, rows=rows), indent=1) + '\n')
