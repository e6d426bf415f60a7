// Turns coGN graphs (harness/graph) into the concatenated tensors models::CoGN reads.
#pragma once
#include <vector>

#include "graph/crystal_graph.hpp"
#include "models/cogn.hpp"

namespace cast {

// Graphs are concatenated in order; node indices are offset per graph.
models::GraphBatch collate_graphs(const std::vector<const CrystalGraph*>& graphs);

}  // namespace cast
