#!/usr/bin/env python3
"""Leave-one-source-out choice of (min_peak_dbfs, min_peak_over_floor_db) over the eval grid
written by scripts/level_gate_loso.sh (one `autotrigger eval --json` per point, files
p_<dBFS>_<dB>.json). Prints Markdown tables: per held-out source, the point chosen without it
and its held-out figures next to today's defaults; per subclass; in-sample figures of a few
points.

Usage: level_gate_loso.py MANIFEST.csv WORK_DIR
"""
import collections
import csv
import glob
import json
import os
import sys

manifest, work = sys.argv[1], sys.argv[2]
source_of = {r["file"]: r["source_repo"] for r in csv.DictReader(open(manifest))}
points = {}
for f in glob.glob(os.path.join(work, "p_*.json")):
    a, r = os.path.basename(f)[2:-5].split("_")
    rows = json.load(open(f))["per_recording"]
    points[(float(a), float(r))] = [
        (source_of[x["name"]], x["class"], x["subclass"], x["duration_s"], x["detections"], x["clip_hit"])
        for x in rows
    ]
sources = sorted({x[0] for p in points.values() for x in p})
DEFAULT = (-10.0, 0.0)


def figures(recs):
    """Clips with a detection per class, ambient detections and ambient seconds."""
    c = collections.defaultdict(lambda: [0, 0])
    amb_det, amb_s = 0, 0.0
    for _, cl, _, dur, det, hit in recs:
        c[cl][0] += hit
        c[cl][1] += 1
        if cl == "ambient":
            amb_det += det
            amb_s += dur
    return c, amb_det, amb_s


def score(recs):
    """(gunshot clip recall, negative clips triggering share, negative clips triggering)."""
    c, _, _ = figures(recs)
    g = c["gunshot"]
    n = [c["ambient"][0] + c["distractor"][0], c["ambient"][1] + c["distractor"][1]]
    return (g[0] / g[1] if g[1] else 0.0), (n[0] / n[1] if n[1] else 0.0), n[0]


def choose(keep, rule):
    """Best recall on the kept recordings within the rule's budget; ties go to fewer negative
    clips triggering, then to the stricter (higher) thresholds."""
    limit = score([x for x in points[DEFAULT] if keep(x)])[2]
    best = None
    for k, recs in points.items():
        rec, share, nneg = score([x for x in recs if keep(x)])
        if (rule == "share3" and share > 0.03) or (rule == "share5" and share > 0.05):
            continue
        if rule == "no_worse" and nneg > limit:
            continue
        key = (rec, -share, k[0], k[1])
        if best is None or key > best[0]:
            best = (key, k)
    return best[1]


def ratio(c, cl):
    return f"{c[cl][0]}/{c[cl][1]}" if c[cl][1] else "-"


def per_hour(n, s):
    return f"{n / s * 3600:.0f}" if s else "-"


for rule in ["share3", "share5", "no_worse"]:
    print(f"\n### Rule {rule}\n")
    print("| held-out source | point chosen without it (dBFS, dB over floor) | gunshot found | "
          "ambient triggering | distractor triggering | ambient false events / h | "
          "defaults: found; ambient; distractor; FA/h |")
    print("|---|---|---|---|---|---|---|")
    tot, tot_d = collections.defaultdict(lambda: [0, 0]), collections.defaultdict(lambda: [0, 0])
    det, det_d, secs = 0, 0, 0.0
    subrows = []
    for s in sources:
        k = choose(lambda x: x[0] != s, rule)
        held = sorted(x for x in points[k] if x[0] == s)
        held_d = sorted(x for x in points[DEFAULT] if x[0] == s)
        c, ad, asec = figures(held)
        cd, add, _ = figures(held_d)
        for cl in c:
            tot[cl][0] += c[cl][0]
            tot[cl][1] += c[cl][1]
            tot_d[cl][0] += cd[cl][0]
            tot_d[cl][1] += cd[cl][1]
        det, det_d, secs = det + ad, det_d + add, secs + asec
        print(f"| {s} | {k[0]:g}, {k[1]:g} | {ratio(c, 'gunshot')} | {ratio(c, 'ambient')} | "
              f"{ratio(c, 'distractor')} | {per_hour(ad, asec)} | {ratio(cd, 'gunshot')}; "
              f"{ratio(cd, 'ambient')}; {ratio(cd, 'distractor')}; {per_hour(add, asec)} |")
        subs = collections.defaultdict(lambda: [0, 0, 0])
        for x, y in zip(held, held_d):
            v = subs[(x[1], x[2])]
            v[0] += x[5]
            v[1] += 1
            v[2] += y[5]
        for (cl, sub), v in sorted(subs.items()):
            if v[0] or v[2] or cl == "gunshot":
                subrows.append(f"| {s} | {cl}/{sub} | {v[0]}/{v[1]} | {v[2]}/{v[1]} |")
    print(f"| **all held out** | | {ratio(tot, 'gunshot')} | {ratio(tot, 'ambient')} | "
          f"{ratio(tot, 'distractor')} | {per_hour(det, secs)} | {ratio(tot_d, 'gunshot')}; "
          f"{ratio(tot_d, 'ambient')}; {ratio(tot_d, 'distractor')}; {per_hour(det_d, secs)} |")
    print("\n| held-out source | subclass (shown when a clip changes or a gunshot subclass) | "
          "held-out clips with a detection | defaults |\n|---|---|---|---|")
    print("\n".join(subrows))

print("\n### In-sample (every source), selected points\n")
print("| dBFS, dB over floor | gunshot recall | negatives triggering | " + " | ".join(sources) + " |")
print("|---|---|---|" + "---|" * len(sources))
for k in [(-60, 0), (-40, 40), (-30, 50), (-20, 50), (-15, 50), (-12.5, 50), (-10, 0), (-10, 50), (-10, 60)]:
    k = (float(k[0]), float(k[1]))
    if k not in points:
        continue
    rec, share, _ = score(points[k])
    cells = []
    for s in sources:
        c, _, _ = figures([x for x in points[k] if x[0] == s])
        cells.append(f"g {ratio(c, 'gunshot')}, a {ratio(c, 'ambient')}, d {ratio(c, 'distractor')}")
    print(f"| {k[0]:g}, {k[1]:g} | {rec:.1%} | {share:.1%} | " + " | ".join(cells) + " |")
