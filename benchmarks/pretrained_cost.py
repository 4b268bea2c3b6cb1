#!/usr/bin/env python3
"""What the pre-trained VAE baseline costs: GFLOP per face to encode and decode at its input size, and seconds on this CPU.

Counted on the architecture of `stabilityai/sd-vae-ft-mse` (latent diffusion's AutoencoderKL: blocks 128, 256, 512, 512,
two layers each, 4 latent channels; its published config.json, typed below) with random weights, so nothing is
downloaded: FLOPs do not depend on the weights. torch.utils.flop_counter counts them (a multiply-add is 2 FLOPs);
the seconds are the median of --repeats forward passes of one face on this machine's CPU. From those, what
`agevae train` and `agevae evaluate` would take here: encoding --shift-faces training faces for the age direction;
then the reconstruction of the whole split (--split-faces: encode and decode each) and its codes (encode each again),
and for each of the --n sampled faces two encodings, the reconstruction and one decoding per target age.

Usage:
  python benchmarks/pretrained_cost.py [--size 256] [--repeats 3] [--shift-faces 5000] [--split-faces 2180] [--n 300] [--out figures/pretrained_vae_cost.json]
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode
from agevae.core import atomic_write_json

SD_VAE = dict(block_out_channels=[128, 256, 512, 512], down_block_types=['DownEncoderBlock2D'] * 4, up_block_types=['UpDecoderBlock2D'] * 4,
              in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, norm_num_groups=32, act_fn='silu', sample_size=256)

def cost(fn, repeats:int) -> tuple:
    "(GFLOP of one call of `fn`, median seconds over `repeats` calls)."
    with FlopCounterMode(display=False) as fc: fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return fc.get_total_flops() / 1e9, float(np.median(times))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', type=int, default=256); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--shift-faces', type=int, default=5000); ap.add_argument('--n', type=int, default=300)
    ap.add_argument('--split-faces', type=int, default=2180, help="faces in the scored split (UTKFace's test split: 2,180)")
    ap.add_argument('--out', default='figures/pretrained_vae_cost.json')
    a = ap.parse_args(argv)
    from diffusers import AutoencoderKL
    torch.manual_seed(0)
    ae = AutoencoderKL(**SD_VAE).eval()
    x = torch.rand(1, 3, a.size, a.size) * 2 - 1
    with torch.no_grad():
        z = ae.encode(x).latent_dist.mean
        enc = cost(lambda: ae.encode(x).latent_dist.mean, a.repeats)
        dec = cost(lambda: ae.decode(z).sample, a.repeats)
    seconds = a.shift_faces * enc[1] + a.split_faces * (2 * enc[1] + dec[1]) + a.n * (2 * enc[1] + 8 * dec[1])   # see above
    res = dict(kind='pretrained_cost', command='python benchmarks/' + Path(__file__).name + ' ' + ' '.join(sys.argv[1:] if argv is None else argv),
               architecture='stabilityai/sd-vae-ft-mse (random weights)', config=SD_VAE, size=a.size, threads=torch.get_num_threads(),
               parameters=sum(p.numel() for p in ae.parameters()), latent_shape=list(z.shape[1:]),
               encode=dict(gflop=round(enc[0], 2), seconds=round(enc[1], 3)), decode=dict(gflop=round(dec[0], 2), seconds=round(dec[1], 3)),
               estimate=dict(shift_faces=a.shift_faces, split_faces=a.split_faces, n=a.n, hours=round(seconds / 3600, 2)))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); atomic_write_json(a.out, res)
    print(f"{a.size} px: encode {enc[0]:.1f} GFLOP in {enc[1]:.2f} s, decode {dec[0]:.1f} GFLOP in {dec[1]:.2f} s per face; "
          f"the benchmark here: about {res['estimate']['hours']:.1f} h ({a.out})")

if __name__ == '__main__': main()
