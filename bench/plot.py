#!/usr/bin/python3
"""Plot drops_pct and load_ratio against offered load from bench/results.json.
Usage: plot.py results.json out.png  (Debian's python3-matplotlib)"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

data = json.load(open(sys.argv[1]))
runs = [r for r in data["results"] if r.get("offered") and r["driver"] != "replay"]
families = []
for r in runs:
    fam = r["scenario"].split("_")[0]
    if fam not in families and fam != "exec":
        families.append(fam)
fig, axes = plt.subplots(1, max(1, len(families)), figsize=(6.5 * max(1, len(families)), 4.8),
                         squeeze=False)
for ax, fam in zip(axes[0], families):
    rax = ax.twinx()
    for drv, mk in (("modern_ebpf", "o"), ("kmod", "s")):
        pts = sorted((r["offered"] / 1e6, r["drops_pct"], r["load_ratio"], r["scenario"])
                     for r in runs if r["scenario"].split("_")[0] == fam and r["driver"] == drv)
        if not pts:
            continue
        x = [p[0] for p in pts]
        ax.plot(x, [p[1] for p in pts], mk + "-", color="tab:red", label="drops %% (%s)" % drv)
        rax.plot(x, [p[2] for p in pts], mk + "--", color="tab:blue",
                 label="load ratio (%s)" % drv)
        for p in pts:
            ax.annotate(p[3], (p[0], p[1]), textcoords="offset points", xytext=(3, 6),
                        fontsize=7)
    ax.set_title("%s load (%s, %s CPUs)" % (fam, data["machine"]["kernel"],
                                           data["machine"]["nproc"]))
    ax.set_xlabel("offered load without the sensor (M syscalls/s of the load generator)")
    ax.set_ylabel("kernel drops (%)", color="tab:red")
    rax.set_ylabel("load ratio (with sensor / without)", color="tab:blue")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ratios = [r["load_ratio"] for r in runs if r["scenario"].split("_")[0] == fam]
    rax.set_ylim(0, max([1.1] + [x + 0.1 for x in ratios]))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = rax.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
