#!/usr/bin/env python3
"""The notebooks' and the package's yardsticks: lines per code cell, and the line discipline of `agevae/*.py`.

Cells: median and 90th percentile of lines per code cell, cells over 40 lines, notebooks with an output.
Code (non-blank, non-comment lines of `agevae/*.py`, `_modidx.py` apart): the share of lines over 120 characters,
the `;` statement joins, and the functions taking more than 6 parameters (`self` and `cls` apart).

Usage: python scripts/cell_stats.py [nbs] [--package agevae] [--json OUT]
"""
import argparse, ast, io, json, statistics, tokenize
from pathlib import Path

def stats(folder='nbs', limit=40) -> dict:
    "Lines per code cell: median, 90th percentile, longest, cells over `limit` (parameter cells apart), cells with output."
    sizes, long, shown = [], [], {}
    for p in sorted(Path(folder).glob('*.ipynb')):
        nb = json.loads(p.read_text())
        shown[p.name] = 0
        for c in nb['cells']:
            if c['cell_type'] != 'code': continue
            n = len(''.join(c['source']).splitlines())
            sizes.append(n)
            if n > limit and 'parameters' not in c.get('metadata', {}).get('tags', []):
                long.append(f'{p.name}:{c.get("id")}:{n}')
            shown[p.name] += bool(c.get('outputs'))
    sizes.sort()
    return dict(code_cells=len(sizes), median=statistics.median(sizes), p90=sizes[int(0.9 * (len(sizes) - 1))],
                longest=sizes[-1], over_limit=long, cells_with_output=sum(shown.values()),
                notebooks_without_output=[k for k, v in shown.items() if not v])

def _params(f) -> list:
    "The parameter names of function node `f`, `self` and `cls` apart."
    a = f.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + [x.arg for x in (a.vararg, a.kwarg) if x]
    return [n for n in names if n not in ('self', 'cls')]

def code_stats(package='agevae', width=120, max_params=6) -> dict:
    "Lines over `width` characters (count and share), `;` joins, and functions with more than `max_params` parameters."
    lines = long = joins = longest = 0
    many = []
    for p in sorted(Path(package).glob('*.py')):
        if p.name.startswith('_'): continue
        src = p.read_text()
        for line in src.splitlines():
            if not line.strip() or line.strip().startswith('#'): continue
            lines += 1
            long += len(line) > width
            longest = max(longest, len(line))
        toks = tokenize.generate_tokens(io.StringIO(src).readline)
        joins += sum(t.type == tokenize.OP and t.string == ';' for t in toks)
        for f in ast.walk(ast.parse(src)):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(_params(f)) > max_params:
                many.append(f'{p.stem}.{f.name}: {len(_params(f))}')
    return dict(code_lines=lines, lines_over_120=long, share_over_120_pct=round(100 * long / max(lines, 1), 2),
                longest_line=longest, semicolon_joins=joins, functions_over_6_params=len(many), those_functions=many)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('folder', nargs='?', default='nbs')
    ap.add_argument('--package', default='agevae')
    ap.add_argument('--json')
    a = ap.parse_args()
    s = dict(cells=stats(a.folder), code=code_stats(a.package))
    print(json.dumps(s, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(s, indent=1) + '\n')
