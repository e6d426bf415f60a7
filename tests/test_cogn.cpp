// coGN: size and the asymmetric-unit property the whole design rests on.
#include <catch2/catch.hpp>
#include <cmath>

#include "crystal/readers.hpp"
#include "graph/crystal_graph.hpp"
#include "models/cogn.hpp"
#include "models/foreach_adamw.hpp"
#include "test_support.hpp"
#include "train/graph_batch.hpp"

using namespace cast;

TEST_CASE("coGN has kgcnn's 697,601 parameters (SPEC 1.4)") {
  models::CoGN m;
  int64_t n = 0;
  for (auto& p : m->parameters()) n += p.numel();
  CHECK(n == 697601);
}

TEST_CASE("the multiplicity readout of an asymmetric-unit graph equals the plain mean over the full cell") {
  torch::manual_seed(3);
  models::CoGN m;
  m->eval();
  torch::NoGradGuard g;
  for (const char* f : {"TiO2-rutile-P4_2mnm-136.cif", "NaCl-Fm-3m-225.cif", "SrTiO3-Pm-3m-221.cif", "POSCAR-Si-primitive-227"}) {
    INFO(f);
    Structure s = read_structure(fixture(f));
    GraphOptions full_opt;
    full_opt.use_symmetry = false;
    auto asu = featurize_structure(s);
    auto full = featurize_structure(s, full_opt);
    REQUIRE(asu.graph.num_nodes() < full.graph.num_nodes());
    auto ba = collate_graphs({&asu.graph});
    auto bf = collate_graphs({&full.graph});
    auto ga = m->readout(ba, m->node_states(ba));
    auto gf = m->readout(bf, m->node_states(bf));
    CHECK((ga - gf).abs().max().item<double>() < 1e-4);
    // The full-cell readout is a plain mean (all multiplicities 1).
    CHECK(bf.multiplicity.eq(1).all().item<bool>());
  }
}

TEST_CASE("batching: a batch of two graphs gives the same per-graph outputs as one at a time") {
  torch::manual_seed(5);
  models::CoGN m;
  m->eval();
  torch::NoGradGuard g;
  auto a = featurize_structure(read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif")));
  auto b = featurize_structure(read_structure(fixture("NaCl-Fm-3m-225.cif")));
  auto both = m->forward(collate_graphs({&a.graph, &b.graph}));
  auto ya = m->forward(collate_graphs({&a.graph}));
  auto yb = m->forward(collate_graphs({&b.graph}));
  REQUIRE(both.size(0) == 2);
  CHECK(std::fabs(both[0].item<double>() - ya[0].item<double>()) < 1e-5);
  CHECK(std::fabs(both[1].item<double>() - yb[0].item<double>()) < 1e-5);
}

TEST_CASE("the multi-tensor AdamW takes the same steps as torch::optim::AdamW") {
  torch::manual_seed(0);
  auto a = torch::randn({5, 3}, torch::requires_grad()), b = torch::randn({7}, torch::requires_grad());
  auto a2 = a.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
  torch::optim::AdamW ref({a, b}, torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  models::ForeachAdamW ours({a2, b2}, 1e-2, 0.05);
  for (int step = 0; step < 5; ++step) {
    ref.zero_grad();
    ours.zero_grad();
    ((a * a).sum() + (b.sin()).sum()).backward();
    ((a2 * a2).sum() + (b2.sin()).sum()).backward();
    ref.step();
    ours.step();
  }
  CHECK((a - a2).abs().max().item<double>() < 1e-6);
  CHECK((b - b2).abs().max().item<double>() < 1e-6);
}
