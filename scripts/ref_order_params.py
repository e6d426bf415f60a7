#!/usr/bin/python3
"""Reference values for tests/test_order_params.cpp, from pymatgen (Debian's python3-pymatgen).

Writes tests/fixtures/order_params_pymatgen.json:
  cases: neighbour vectors (ideal shapes, perturbed and random ones) and pymatgen's
         LocalStructOrderParams value of every fingerprint motif of that coordination number,
         with the parameters matminer's CrystalNNFingerprint("ops") uses;
  sites: per site of the test CIFs, CrystalNN's CN weights (default settings, oxidation states
         guessed by pymatgen) and the geometry Robocrystallographer takes from the fingerprint;
  prototypes: CrystalNN's CN weights of every site of a few of pymatgen's AFLOW prototypes.

Run: /usr/bin/python3 scripts/ref_order_params.py   (needs python3-pymatgen)
"""
import json
import os

import numpy as np
from pymatgen.analysis import local_env
from pymatgen.analysis.local_env import CrystalNN, LocalStructOrderParams
from pymatgen.core import Site, Structure

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# matminer's cn_target_motif_op (CrystalNNFingerprint "ops" preset)
TARGETS = {
    1: ["sgl_bd"],
    2: ["L-shaped", "water-like", "bent 120 degrees", "bent 150 degrees", "linear"],
    3: ["trigonal planar", "trigonal non-coplanar", "T-shaped"],
    4: ["square co-planar", "tetrahedral", "rectangular see-saw-like", "see-saw-like", "trigonal pyramidal"],
    5: ["pentagonal planar", "square pyramidal", "trigonal bipyramidal"],
    6: ["hexagonal planar", "octahedral", "pentagonal pyramidal"],
    7: ["hexagonal pyramidal", "pentagonal bipyramidal"],
    8: ["body-centered cubic", "hexagonal bipyramidal"],
    9: ["q2", "q4", "q6"],
    10: ["q2", "q4", "q6"],
    11: ["q2", "q4", "q6"],
    12: ["cuboctahedral", "q2", "q4", "q6"],
}
OPT = local_env.cn_opt_params


def make_op(cn, motif):
    if cn in OPT and motif in OPT[cn]:
        entry = OPT[cn][motif]
        return LocalStructOrderParams([entry[0]], parameters=[entry[1] if len(entry) > 1 else None])
    return LocalStructOrderParams([motif])


OPS = {cn: [(m, make_op(cn, m)) for m in motifs] for cn, motifs in TARGETS.items()}


def op_values(vectors):
    cn = len(vectors)
    sites = [Site("H", [0.0, 0.0, 0.0])] + [Site("H", v) for v in vectors]
    out = {}
    for motif, op in OPS.get(cn, []):
        v = op.get_order_parameters(sites, 0, indices_neighs=list(range(1, cn + 1)))[0]
        out["single-bond" if motif == "sgl_bd" else motif] = v
    return out


def ideal_shapes():
    s = {}
    s["single"] = [[0, 0, 2.0]]
    for deg in (90, 105, 120, 150, 180):
        a = np.radians(deg)
        s[f"bent{deg}"] = [[0, 0, 2.0], [2.0 * np.sin(a), 0, 2.0 * np.cos(a)]]
    s["trigonal_planar"] = [[np.cos(t), np.sin(t), 0] for t in np.radians([0, 120, 240])]
    s["T"] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0]]
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
    s["tetrahedron"] = tet.tolist()
    s["trigonal_pyramid3"] = tet[:3].tolist()
    s["square_planar"] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]
    s["see_saw"] = [[0, 0, 1], [0, 0, -1], [1, 0, 0], [np.cos(2.1), np.sin(2.1), 0]]
    s["trigonal_pyramid4"] = [[0, 0, 1], [1, 0, 0], [np.cos(2.094), np.sin(2.094), 0], [np.cos(4.189), np.sin(4.189), 0]]
    s["square_pyramid"] = [[0, 0, 1], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]
    s["trigonal_bipyramid"] = [[0, 0, 1], [0, 0, -1]] + [[np.cos(t), np.sin(t), 0] for t in np.radians([0, 120, 240])]
    s["pentagonal_planar"] = [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(5) * 72)]
    s["octahedron"] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]
    s["hexagonal_planar"] = [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(6) * 60)]
    s["pentagonal_pyramid"] = [[0, 0, 1]] + [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(5) * 72)]
    s["trigonal_prism"] = [[np.cos(t), np.sin(t), z] for z in (0.8, -0.8) for t in np.radians([0, 120, 240])]
    s["pentagonal_bipyramid"] = [[0, 0, 1], [0, 0, -1]] + [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(5) * 72)]
    s["hexagonal_pyramid"] = [[0, 0, 1]] + [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(6) * 60)]
    s["cube"] = (np.array([[x, y, z] for x in (1, -1) for y in (1, -1) for z in (1, -1)]) / np.sqrt(3)).tolist()
    s["hexagonal_bipyramid"] = [[0, 0, 1], [0, 0, -1]] + [[np.cos(t), np.sin(t), 0] for t in np.radians(np.arange(6) * 60)]
    s["capped_cube9"] = s["cube"] + [[0, 0, 1.3]]
    s["fcc12"] = [[a, b, 0] for a in (1, -1) for b in (1, -1)] + [[a, 0, b] for a in (1, -1) for b in (1, -1)] + \
                 [[0, a, b] for a in (1, -1) for b in (1, -1)]
    s["fcc12"] = (np.array(s["fcc12"]) / np.sqrt(2)).tolist()
    return s


def main():
    rng = np.random.default_rng(7)
    cases = []
    for name, vecs in ideal_shapes().items():
        vecs = np.array(vecs, dtype=float) * 2.1
        cases.append((name, vecs))
        for k in range(3):  # perturbed copies
            cases.append((f"{name}+noise{k}", vecs + rng.normal(scale=0.12 * (k + 1), size=vecs.shape)))
    for cn in range(1, 13):  # random directions
        for k in range(2):
            v = rng.normal(size=(cn, 3))
            v = v / np.linalg.norm(v, axis=1)[:, None] * rng.uniform(1.8, 2.6, size=(cn, 1))
            cases.append((f"random{cn}-{k}", v))
    out_cases = []
    for name, v in cases:
        vals = op_values(v.tolist())
        out_cases.append({"name": name, "bonds": np.round(v, 10).tolist(), "values": vals})

    sites = []
    cnn = CrystalNN()
    for fname in ["NaCl-Fm-3m-225.cif", "Si-Fd-3m-227.cif", "SrTiO3-Pm-3m-221.cif", "TiO2-rutile-P4_2mnm-136.cif",
                  "POSCAR-HoP-CsCl"]:  # HoP: P3- has no ionic radius (default radii for the pair)
        s = Structure.from_file(os.path.join(ROOT, "tests", "fixtures", fname))
        s.add_oxidation_state_by_guess()
        for i in range(len(s)):
            nd = cnn.get_nn_data(s, i)
            fp = []
            for cn in range(1, 25):
                wt = nd.cn_weights.get(cn, 0)
                fp.append((f"wt CN_{cn}", wt))
                for motif, op in OPS.get(cn, []):
                    if wt == 0:
                        fp.append((f"{motif} CN_{cn}", 0))
                        continue
                    neigh = [d["site"] for d in nd.cn_nninfo[cn]]
                    val = op.get_order_parameters([s[i]] + neigh, 0, indices_neighs=list(range(1, len(neigh) + 1)))[0]
                    fp.append((f"{motif} CN_{cn}", wt * (val or 0)))
            best = max(fp, key=lambda x: x[1] if "wt" not in x[0] else 0)
            if best[1] < 0.4:
                best = max(fp, key=lambda x: x[1])
                geometry, likeness = best[0].split()[-1].split("_")[-1] + "-coordinate", 1.0
            else:
                geometry = " ".join(best[0].split()[:-1])
                geometry, likeness = ("single-bond" if geometry == "sgl_bd" else geometry), best[1]
            sites.append({
                "file": fname, "site": i, "element": s[i].specie.symbol,
                "frac": [round(float(x), 8) for x in s[i].frac_coords],
                "oxidation_states": [int(sp.oxi_state) for sp in s.species],
                "cn_weights": {str(k): v for k, v in nd.cn_weights.items()},
                "geometry": geometry, "likeness": likeness,
            })
    # AFLOW prototypes (pymatgen's own library) whose symmetric cells give Voronoi facets with
    # collinear corners from half-space clipping: CrystalNN's weights of every site.
    prototypes = []
    library = json.load(open(os.path.join(os.path.dirname(local_env.__file__), "aflow_prototypes.json")))
    for mineral, n_sites in [("Clathrate", 34), ("Aluminum carbonitride", 18), ("Calcium hexaboride", 7),
                             ("lead oxide", 4), ("Moissanite-4H", 8)]:
        entry = next(e for e in library if e["tags"].get("mineral") == mineral and len(e["snl"]["sites"]) == n_sites)
        s = Structure.from_dict(entry["snl"])
        prototypes.append({"mineral": mineral, "n_sites": n_sites,
                           "cn_weights": [{str(k): v for k, v in cnn.get_nn_data(s, i).cn_weights.items()}
                                          for i in range(len(s))]})
    path = os.path.join(ROOT, "tests", "fixtures", "order_params_pymatgen.json")
    with open(path, "w") as f:
        json.dump({"source": "pymatgen 2022.11.7 (Debian python3-pymatgen), scripts/ref_order_params.py",
                   "cases": out_cases, "sites": sites, "prototypes": prototypes}, f, indent=1)
    print(f"{len(out_cases)} cases, {len(sites)} sites -> {path}")


if __name__ == "__main__":
    main()
