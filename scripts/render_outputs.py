#!/usr/bin/env python3
"""Commit small rendered outputs in the notebooks: run each notebook and keep the outputs of the cells tagged `show`.

Usage: python scripts/render_outputs.py nbs/01_synthetic.ipynb [nbs/05_data.ipynb ...]   (default: every notebook with a `show` cell)

Each notebook runs as under `nbdev-test` (IN_TEST=1: temporary folders and tiny settings, never data/ or runs/) in a
kernel working in nbs/. Then only the cells tagged `show` keep their outputs (figures as PNG, values as text; progress
bars and warnings dropped); every other cell's outputs are cleared. A notebook whose outputs exceed 200 KB is refused.
Run `nbdev-clean` afterwards (scripts/test.sh checks the notebooks are clean).
"""
import argparse, copy, os
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from agevae.core import atomic_write

MAX_BYTES = 200_000
KEEP = ('image/png', 'text/plain', 'text/markdown', 'text/latex')

def shown(cell) -> bool: return 'show' in cell.get('metadata', {}).get('tags', [])

def clean_outputs(outputs) -> list:
    "Figures and values only: stdout text and display/execute results reduced to PNG and plain text; no stderr, no widgets."
    keep = []
    for o in outputs:
        if o.output_type == 'stream' and o.name == 'stdout': keep.append(o)
        elif o.output_type in ('display_data', 'execute_result'):
            data = {k: v for k, v in o.data.items() if k in KEEP}
            if 'image/png' in data: data.pop('text/plain', None)              # not "<Figure size ...>" under a figure
            if data: keep.append(nbformat.v4.new_output('display_data', data=data))
    return keep

def output_bytes(nb) -> int: return sum(len(nbformat.writes(nbformat.v4.new_notebook(cells=[c]))) - 150 for c in nb.cells if c.get('outputs'))

def render(path:Path, timeout:int=1800) -> int:
    "Run `path` and write back the outputs of its `show` cells; returns their size in bytes."
    nb = nbformat.read(path, as_version=4)
    if not any(shown(c) for c in nb.cells): raise SystemExit(f"{path}: no cell is tagged 'show'")
    run = copy.deepcopy(nb)
    NotebookClient(run, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    for c, r in zip(nb.cells, run.cells):
        if c.cell_type == 'code': c.outputs = clean_outputs(r.outputs) if shown(c) else []; c.execution_count = None
    size = output_bytes(nb)
    if size > MAX_BYTES: raise SystemExit(f'{path}: the shown outputs are {size:,} bytes, over {MAX_BYTES:,}: make the figures smaller')
    atomic_write(path, lambda tmp: nbformat.write(nb, str(tmp)))
    return size

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('notebooks', nargs='*'); a = ap.parse_args()
    os.environ['IN_TEST'] = '1'                                               # the kernel inherits it
    nbs = [Path(p) for p in a.notebooks] or [p for p in sorted(Path('nbs').glob('*.ipynb'))
                                              if any(shown(c) for c in nbformat.read(p, as_version=4).cells)]
    for p in nbs: print(f"{p}: rendering ...", flush=True); print(f"{p}: {render(p):,} bytes of outputs", flush=True)
