#!/usr/bin/env python3
"""Self-check of data/reference: prints OK, or every mismatch (exit status 1).

Plain Python 3, no dependencies:  python3 scripts/reference-data/check.py
"""

import csv
import os
import sys
from collections import Counter, defaultdict

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data', 'reference')
COUNTRIES = ('nl', 'be')
NL_KINDS = ('province', 'corop', 'labour_market', 'landsdeel')


def read(name):
    path = os.path.join(REF, name)
    with open(path, 'rb') as f:
        raw = f.read()
    problems = []
    if b'\r' in raw:
        problems.append(f'{name}: has CR characters (LF line endings expected)')
    rows = list(csv.DictReader(raw.decode('utf-8').splitlines()))
    return rows, problems


def valid_on(m, day):
    return (not m['valid_from'] or m['valid_from'] <= day) and (not m['ended_on'] or m['ended_on'] > day)


def main():
    errors = []
    totals, p = read('totals.csv')
    errors += p
    for country in COUNTRIES:
        regions, p1 = read(f'{country}-regions.csv')
        munis, p2 = read(f'{country}-municipalities.csv')
        names, p3 = read(f'{country}-names.csv')
        errors += p1 + p2 + p3
        kind = {r['code']: r['kind'] for r in regions}
        for file, rows in ((f'{country}-regions.csv', regions), (f'{country}-municipalities.csv', munis)):
            codes = [r['code'] for r in rows]
            for c, n in Counter(codes).items():
                if n > 1:
                    errors.append(f'{file}: code {c} appears {n} times')
            if codes != sorted(codes):
                errors.append(f'{file}: not sorted by code')
        by_code = {m['code']: m for m in munis}
        for m in munis:
            for r in m['regions'].split(';'):
                if r not in kind:
                    errors.append(f'{country}: {m["code"]} uses unknown region {r}')
            if m['ended_on']:
                s = by_code.get(m['successor'])
                if s is None:
                    errors.append(f'{country}: {m["code"]} has unknown successor {m["successor"]!r}')
                elif not valid_on(s, m['ended_on']):
                    errors.append(f'{country}: successor {s["code"]} of {m["code"]} not valid on {m["ended_on"]}')
            elif m['successor']:
                errors.append(f'{country}: {m["code"]} has a successor but no ended_on')
        for n in names:
            if n['code'] not in by_code:
                errors.append(f'{country}-names.csv: unknown code {n["code"]}')
            if n['language'] not in ('nl', 'fr', 'de', 'fy', ''):
                errors.append(f'{country}-names.csv: bad language {n["language"]!r}')
        current = [m for m in munis if valid_on(m, '2025-01-01')]
        for nm, n in Counter(m['name'] for m in current).items():
            if n > 1:
                errors.append(f'{country}: name {nm!r} used by {n} municipalities valid on 2025-01-01')
        if country == 'nl':
            for m in current:
                kinds = Counter(kind.get(r) for r in m['regions'].split(';'))
                for k in NL_KINDS:
                    if kinds[k] != 1:
                        errors.append(f'nl: {m["code"]} has {kinds[k]} regions of kind {k}')
        # totals per year and province (for Brussels the region code 04000)
        expected = defaultdict(dict)
        for t in totals:
            if t['country'] == country:
                expected[int(t['year'])][t['province']] = int(t['municipalities'])
        for year, want in sorted(expected.items()):
            day = f'{year}-01-01'
            got = Counter()
            for m in munis:
                if valid_on(m, day):
                    prov = [r for r in m['regions'].split(';')
                            if kind.get(r) == 'province' or r == '04000']
                    if len(prov) != 1:
                        errors.append(f'{country}: {m["code"]} has no single province')
                        continue
                    got[prov[0]] += 1
            for prov in sorted(set(want) | set(got)):
                if want.get(prov) != got.get(prov, 0):
                    errors.append(f'{country} {year} {prov}: totals.csv says {want.get(prov)}, files give {got.get(prov, 0)}')
    if errors:
        print('\n'.join(errors))
        sys.exit(1)
    print('OK')


if __name__ == '__main__':
    main()
