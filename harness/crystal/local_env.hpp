// Bonded neighbours as pymatgen's CrystalNN (2022.11 defaults, the choice Robocrystallographer
// makes) finds them: the Voronoi cell of a site among its neighbours within 7 Å (widened while
// the cell is open), each facet weighted by its solid angle, scaled by solid angle / facet area
// (porous adjustment) and by 1 + 3 sqrt(|ΔX| / 3.3) (electronegativity), normalised, damped by
// a cosine between d + 0.5 and d + 1.0 Å where d is the sum of the two ionic radii (covalent
// radii without oxidation states), rounded to 3 decimals; the coordination number is the one
// whose weight interval has the largest semicircle integral. Voronoi cells are computed by
// half-space clipping here (pymatgen calls qhull); the same cell, so the same facets.
#pragma once
#include <map>
#include <vector>

#include "crystal/neighbors.hpp"
#include "crystal/structure.hpp"

namespace cast {

struct VoronoiFacet {
  Neighbor neighbor;
  double solid_angle = 0;  // sr, seen from the centre
  double area = 0;         // Å²
};

// Facets of the Voronoi cell of site `centre` (every neighbour whose facet has positive area).
std::vector<VoronoiFacet> voronoi_facets(const Structure& s, std::size_t centre, double cutoff = 7.0);

// The radius CrystalNN uses for a site of element Z with oxidation state ox (0: none); 0 when
// the state has no ionic radius (CrystalNN then uses default radii for the pair).
double crystal_nn_radius(int Z, int ox);

struct WeightedNeighbor {
  Neighbor neighbor;
  double weight = 0;  // CrystalNN's final weight (rounded to 3 decimals), in (0, 1]
};

// Everything CrystalNN knows about one site: the weighted neighbours, strongest first, and the
// weight of each candidate coordination number (pymatgen's NNData: CN n means the first n
// neighbours; CN 0 carries what the candidates leave of 1).
struct CrystalNNData {
  std::vector<WeightedNeighbor> neighbors;
  std::map<int, double> cn_weights;
  int coordination() const;  // the CN of the largest weight (0: none)
  std::vector<Neighbor> bonded() const;  // CrystalNN's neighbours (weighted_cn = false): the first coordination()
};

CrystalNNData crystal_nn_data(const Structure& s, std::size_t centre, const std::vector<int>& ox);

}  // namespace cast
