// Periodic neighbour search: the k nearest neighbours (periodic images included, the centre
// itself excluded) of chosen sites, with their integer image translations. Correct for skewed
// cells and for cells smaller than the search radius: the image range along each axis comes
// from the interplanar spacing, and the radius grows until k neighbours are found.
#pragma once
#include <array>
#include <vector>

#include "crystal/structure.hpp"

namespace cast {

struct Neighbor {
  int site;                   // index of the neighbour in the structure
  std::array<int, 3> image;   // integer cell translation T of the neighbour
  double distance;            // Å
  Vec3 offset;                // cart(centre) - cart(neighbour + T), Å (kgcnn's edge offset)
};

struct KnnOptions {
  int k = 24;
  double tie_tolerance = 1e-9;  // neighbours within d_k + tol are all kept
};

// For one centre (only the centre itself at T = 0 is excluded; a coincident distinct atom is
// a neighbour at distance 0): neighbours sorted by distance (then site, then image), every neighbour with
// d <= d_k + tie_tolerance kept. Precondition: a positive cell volume.
std::vector<Neighbor> k_nearest_neighbors(const Structure& s, std::size_t centre,
                                          const KnnOptions& opt = {});

// All neighbours of `centre` within radius r (Å), sorted by distance.
std::vector<Neighbor> neighbors_within(const Structure& s, std::size_t centre, double r);

// The shortest distance between any two atoms (including an atom and its own images).
double shortest_distance(const Structure& s);

}  // namespace cast
