// Local structure order parameters (Zimmermann et al., Front. Mater. 4, 34 (2017); pymatgen's
// LocalStructOrderParams) for the motifs that matminer's CrystalNNFingerprint "ops" preset scores,
// and the site geometry Robocrystallographer derives from that fingerprint: for every candidate
// coordination number n of CrystalNN, weight(n) x op(motif) over the motifs of n; the largest
// names the geometry ("octahedral", "bent 150 degrees", "q6", ...), its value is the likeness;
// under 0.4 the geometry is "n-coordinate" with n the CN of largest weight.
//
// Written from the published definitions and checked against pymatgen 2022.11 values
// (tests/fixtures/order_params_pymatgen.json, scripts/ref_order_params.py).
#pragma once
#include <string>
#include <vector>

#include "crystal/local_env.hpp"

namespace cast {

enum class OrderParam {
  SingleBond, Bent, TriPlanMax, TetMax, T, SqPlanMax, SeeSawRect, TriBipyr, TriPyr, PentPlanMax, SqPyr,
  HexPlanMax, OctMax, PentPyr, HexPyr, PentBipyr, Bcc, HexBipyr, CuboctMax, Q2, Q4, Q6
};

// Parameters of one order parameter (pymatgen's names; unused ones stay 0). The cuboctahedral
// parameter uses the numbered entries 2, 4, 5, 6 of pymatgen's table as p2, p4, p5, p6.
struct OrderParamSettings {
  double TA = 0, IGW_TA = 0, IGW_EP = 0, IGW_SPP = 0, min_SPP = 0, w_SPP = 0, fac_AA = 0, exp_cos_AA = 0;
  double p2 = 0, p4 = 0, p5 = 0, p6 = 0;
};

struct Motif {
  const char* name;  // robocrys's geometry name ("single-bond", "q6", ...)
  int cn;
  OrderParam type;
  OrderParamSettings settings;
};

// The motifs per coordination number (matminer's cn_target_motif_op with pymatgen's
// cn_opt_params and op_params defaults), in fingerprint order.
const std::vector<Motif>& fingerprint_motifs();

// One order parameter of a centre with neighbours at `bonds` (centre -> neighbour vectors, Å).
// NaN where pymatgen gives None (too few neighbours).
double order_parameter(OrderParam type, const OrderParamSettings& p, const std::vector<Vec3>& bonds);

struct SiteGeometry {
  std::string name;       // "octahedral", "distorted" not included; "6-coordinate" below the threshold
  double likeness = 1.0;  // weight x order parameter of the winning motif (1 for "n-coordinate")
};

// matminer's CrystalNNFingerprint("ops") of a site: for CN 1..24 the weight of the CN, then
// weight x order parameter of each motif of that CN (fingerprint_entries() names them).
struct FingerprintEntry {
  int cn;
  int motif;  // index into fingerprint_motifs(), -1 for the CN weight
};
const std::vector<FingerprintEntry>& fingerprint_entries();
std::vector<double> site_fingerprint(const CrystalNNData& data);

// Robocrystallographer's geometry of a site from its CrystalNN data or fingerprint (minimum op 0.4).
SiteGeometry site_geometry(const CrystalNNData& data, double minimum_op = 0.4);
SiteGeometry site_geometry(const std::vector<double>& fingerprint, double minimum_op = 0.4);

}  // namespace cast
