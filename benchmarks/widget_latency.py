"""Latency of one age-slider step in `agevae.widgets.AgeExplorer`: a new age, not yet cached, on this CPU.

A step is what a slider move runs in the kernel: decode the face at the new age (one decoder call), the residual
edit, PNG encoding, the edited `Image` widget's value, and the independent estimator's reading when installed.
Each target age 0 … 90 is visited once (91 new ages, the slider's start age excepted), then once more (cached).
64 px: the shipped model (`models/utkface-64`). 128 px: no model is shipped at that size, so an untrained model
of the shipped configuration at 128 px stands in (the same layers: the same work per step). Faces are synthetic
(on every machine; the face does not change the time). Limits from issue 10: 50 ms at 64 px, 150 ms at 128 px.

    python benchmarks/widget_latency.py                   # prints the figures, writes figures/widget_latency.json
    python benchmarks/widget_latency.py --check           # exit 1 when a median step is over its limit
"""
import argparse, json, os, platform, sys, time
from pathlib import Path
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MS = {64: 50.0, 128: 150.0}

def timed(f, log):
    "`f`, appending the seconds of each call to `log`."
    def g(*a, **k):
        s = time.perf_counter(); r = f(*a, **k); log.append(time.perf_counter() - s); return r
    return g

def stats(seconds) -> dict:
    ms = np.asarray(seconds) * 1000
    return dict(n=len(ms), median_ms=round(float(np.median(ms)), 2), p90_ms=round(float(np.percentile(ms, 90)), 2), max_ms=round(float(ms.max()), 2))

def measure(make, ages=range(0, 91)) -> dict:
    "Step times of the explorer `make()` returns: new ages, then the same ages again (cached), with the decoder's and the estimator's share."
    w = make()
    decodes, readings = [], []
    w.model.decode = timed(w.model.decode, decodes)
    if w.scorer is not None: w.scorer.ages = timed(w.scorer.ages, readings)
    start = w.age_slider.value
    ages = [a for a in ages if a != start]                    # the start age was decoded when the face was chosen
    def sweep():
        out = []
        for a in ages:
            s = time.perf_counter(); w.age_slider.value = a; out.append(time.perf_counter() - s)
        return out
    new = sweep()
    assert len(decodes) == len(ages), f'{len(decodes)} decoder calls for {len(ages)} new ages'
    cached = sweep()
    assert len(decodes) == len(ages), 'a cached age was decoded again'
    r = dict(new_age=stats(new), cached_age=stats(cached), decoder=stats(decodes))
    if readings: r['estimator'] = stats(readings)
    return r

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT/'figures'/'widget_latency.json'), help='JSON file to write')
    p.add_argument('--check', action='store_true', help='exit 1 when a median new-age step is over its limit')
    a = p.parse_args(argv)
    from agevae.evaluate import shipped_model
    from agevae.model import VAEConfig, AgeVAE
    from agevae.checkpoint import load_model
    from agevae.widgets import AgeExplorer, _scorer
    load = os.getloadavg()[0]
    t = time.perf_counter()
    scorer = _scorer('auto')                                   # loaded once, shared by every explorer below
    run = shipped_model(); model = load_model(run)
    open_s = time.perf_counter() - t
    cfg128 = VAEConfig.from_dict({**vars(model.cfg), 'image_size': 128})
    cases = {
        '64px': lambda s: AgeExplorer(run, data='synthetic', scorer=s),
        '128px': lambda s: AgeExplorer(model=AgeVAE(cfg128), data='synthetic', edit='residual', gain=3.0, scorer=s),
    }
    res = dict(kind='widget_latency', command='python benchmarks/widget_latency.py', machine=dict(cpus=os.cpu_count(), platform=platform.platform(),
               torch=torch.__version__, torch_threads=torch.get_num_threads(), load_average_at_start=round(load, 2)),
               model=str(run.relative_to(ROOT)), step_threads=1, limits_ms={f'{k}px': v for k, v in LIMIT_MS.items()},
               estimator=scorer is not None, load_seconds=round(open_s, 2))   # estimator + model
    for name, make in cases.items():
        res[name] = measure(lambda: make(scorer))
        if scorer is not None: res[name + '_image_only'] = measure(lambda: make(None))
    res['pass'] = {k: res[k]['new_age']['median_ms'] <= v for k, v in res['limits_ms'].items()}
    for k in res:
        if k.startswith(('64px', '128px')):
            n, c = res[k]['new_age'], res[k]['cached_age']
            extra = ', '.join(f"{p} {res[k][p]['median_ms']:.1f}" for p in ('decoder', 'estimator') if p in res[k])
            print(f"{k:<18} new age: median {n['median_ms']:6.1f} ms, p90 {n['p90_ms']:6.1f}, max {n['max_ms']:6.1f} "
                  f"({n['n']} steps; of which {extra} ms) | cached: median {c['median_ms']:.1f} ms")
    print(f"limits {res['limits_ms']} (median new-age step): {res['pass']}; load average at start {load:.2f} on {os.cpu_count()} cores")
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + '\n'); print(out)
    return 0 if not a.check or all(res['pass'].values()) else 1

if __name__ == '__main__': sys.exit(main())
