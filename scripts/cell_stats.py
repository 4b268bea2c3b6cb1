#!/usr/bin/env python3
"""Cell statistics of the notebooks (the narrative issue's yardstick): lines per code cell, long cells, rendered outputs.

Usage: python scripts/cell_stats.py [nbs] [--json OUT]
"""
import argparse, json, statistics
from pathlib import Path

def stats(folder='nbs', limit=40) -> dict:
    "Median and 90th percentile of lines per code cell, the longest, cells over `limit` lines (parameter cells apart), and notebooks with an output."
    sizes, long, shown = [], [], {}
    for p in sorted(Path(folder).glob('*.ipynb')):
        nb = json.loads(p.read_text())
        shown[p.name] = 0
        for c in nb['cells']:
            if c['cell_type'] != 'code': continue
            n = len(''.join(c['source']).splitlines()); sizes.append(n)
            if n > limit and 'parameters' not in c.get('metadata', {}).get('tags', []): long.append(f'{p.name}:{c.get("id")}:{n}')
            shown[p.name] += bool(c.get('outputs'))
    sizes.sort()
    return dict(code_cells=len(sizes), median=statistics.median(sizes), p90=sizes[int(0.9 * (len(sizes) - 1))], longest=sizes[-1],
                over_limit=long, cells_with_output=sum(shown.values()), notebooks_without_output=[k for k, v in shown.items() if not v])

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('folder', nargs='?', default='nbs'); ap.add_argument('--json')
    a = ap.parse_args(); s = stats(a.folder)
    print(json.dumps(s, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(s, indent=1) + '\n')
