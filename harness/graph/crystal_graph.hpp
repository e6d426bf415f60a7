// The coGN crystal graph (kgcnn KNNAsymmetricUnitCell, k = 24; SPEC §1.1, §0.2):
// nodes are the asymmetric-unit atoms of the input cell (spglib equivalent_atoms, symprec 0.01)
// with their orbit sizes as multiplicities; each node receives its k nearest periodic
// neighbours as incoming edges (ties within 1e-9 Å kept, no radius cutoff); an edge's source is
// the asymmetric-unit node of the neighbour's orbit. Distances in Å.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "crystal/neighbors.hpp"
#include "crystal/structure.hpp"
#include "crystal/symmetry.hpp"

namespace cast {

struct GraphOptions {
  int k = 24;
  double tie_tolerance = 1e-9;
  SymmetryOptions symmetry;
  bool use_symmetry = true;  // false: every site is its own node (a unit-cell graph)
  bool keep_offsets = false; // fill CrystalGraph::edge_offset
  std::string settings_string() const;  // for cache keys
};

// Datasets use the fast symmetry path (same asymmetric unit, no Wyckoff letters).
inline GraphOptions dataset_graph_options() {
  GraphOptions o;
  o.symmetry.fast = true;
  return o;
}

struct CrystalGraph {
  std::vector<std::int32_t> Z;             // per node
  std::vector<std::int32_t> multiplicity;  // per node (orbit size in the input cell)
  std::vector<std::int32_t> site;          // per node: its representative site in the input
  // Edges grouped by receiver, receivers ascending, each group sorted by distance.
  std::vector<std::int32_t> edge_src;      // sender node (asymmetric-unit index)
  std::vector<std::int32_t> edge_dst;      // receiver node
  std::vector<float> edge_distance;        // Å
  // Per edge, cart(receiver) - cart(sender image), Å (kgcnn's "offset"; its norm is the
  // distance). Filled only with GraphOptions::keep_offsets; not stored in the dataset cache.
  std::vector<float> edge_offset;          // 3 per edge
  std::size_t num_nodes() const { return Z.size(); }
  std::size_t num_edges() const { return edge_src.size(); }
};

struct FeaturizedStructure {
  std::string id;
  std::string formula;
  int nsites = 0;
  SymmetryInfo symmetry;
  CrystalGraph graph;
  std::vector<std::vector<double>> knn_distances;  // per node, incoming distances (double)
};

// Throws InputError when the structure cannot give a graph (no sites, zero volume).
FeaturizedStructure featurize_structure(const Structure& s, const GraphOptions& opt = {});

}  // namespace cast
