#!/usr/bin/env python3
"""Render README.md from nbs/index.ipynb (nbdev's own `nbdev-readme` needs Quarto, which this project does not install).

Markdown cells are copied as they are; code cells become ```python blocks (cells marked `#| hide` are left out,
other `#|` directives are stripped). Outputs are never copied: the notebooks are kept clean.
"""
import json, os, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip('\n')
        if not src: continue
        if cell['cell_type'] == 'markdown': parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = src.split('\n')
            if any(l.strip().startswith('#|') and 'hide' in l for l in lines): continue
            code = '\n'.join(l for l in lines if not l.strip().startswith('#|')).strip('\n')
            if code: parts.append(f'```python\n{code}\n```')
    return '<!-- Rendered from nbs/index.ipynb by scripts/readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(parts) + '\n'

def main():
    text = render(ROOT/'nbs'/'index.ipynb')
    out = ROOT/'README.md'
    if out.exists() and out.read_text() == text: return
    fd, tmp = tempfile.mkstemp(dir=ROOT, prefix='.README.', suffix='.tmp')
    with os.fdopen(fd, 'w') as f: f.write(text)
    os.replace(tmp, out)
    print(f'wrote {out.relative_to(ROOT)}', file=sys.stderr)

if __name__ == '__main__': main()
