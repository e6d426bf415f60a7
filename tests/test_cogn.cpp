// coGN: size and the asymmetric-unit property the whole design rests on.
#include <catch2/catch.hpp>
#include <cmath>

#include "crystal/readers.hpp"
#include "graph/crystal_graph.hpp"
#include "models/cogn.hpp"
#include "models/foreach_adamw.hpp"
#include <sstream>
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

TEST_CASE("the multi-tensor AdamW takes the same steps as torch::optim::AdamW, and saves the same state") {
  // Two groups with their own learning rates (the trainer's new and text parameters), and one
  // parameter that has no gradient on some steps (its own step count).
  torch::manual_seed(0);
  auto a = torch::randn({5, 3}, torch::requires_grad()), b = torch::randn({7}, torch::requires_grad());
  auto c = torch::randn({4}, torch::requires_grad());
  auto a2 = a.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
  auto c2 = c.detach().clone().requires_grad_(true);
  auto groups = [](torch::Tensor x, torch::Tensor y, torch::Tensor z) {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(std::vector<torch::Tensor>{x, z},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2).weight_decay(0.05)));
    g.emplace_back(std::vector<torch::Tensor>{y},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(3e-3).weight_decay(0.01)));
    return g;
  };
  torch::optim::AdamW ref(groups(a, b, c));
  models::ForeachAdamW ours(groups(a2, b2, c2));
  auto run = [&](int steps) {
    for (int step = 0; step < steps; ++step) {
      ref.zero_grad();
      ours.zero_grad();
      const bool with_c = step % 2 == 0;
      ((a * a).sum() + (b.sin()).sum() + (with_c ? c.pow(3).sum() : torch::zeros({}))).backward();
      ((a2 * a2).sum() + (b2.sin()).sum() + (with_c ? c2.pow(3).sum() : torch::zeros({}))).backward();
      if (!with_c) {  // no gradient at all for c on these steps
        c.mutable_grad() = torch::Tensor();
        c2.mutable_grad() = torch::Tensor();
      }
      ref.step();
      ours.step();
    }
  };
  run(5);
  CHECK((a - a2).abs().max().item<double>() < 1e-6);
  CHECK((b - b2).abs().max().item<double>() < 1e-6);
  CHECK((c - c2).abs().max().item<double>() < 1e-6);
  // Its state is AdamW's: saved by one, loaded by the other, the steps go on alike.
  std::stringstream saved;
  torch::save(ours, saved);
  torch::optim::AdamW reloaded(groups(a2, b2, c2));
  torch::load(reloaded, saved);
  std::stringstream saved_ref;
  torch::save(ref, saved_ref);
  models::ForeachAdamW ours_reloaded(groups(a, b, c));
  torch::load(ours_reloaded, saved_ref);
  for (int step = 0; step < 3; ++step) {
    reloaded.zero_grad();
    ours_reloaded.zero_grad();
    ((a * a).sum() + (b.sin()).sum() + c.pow(3).sum()).backward();
    ((a2 * a2).sum() + (b2.sin()).sum() + c2.pow(3).sum()).backward();
    ours_reloaded.step();
    reloaded.step();
  }
  CHECK((a - a2).abs().max().item<double>() < 1e-6);
  CHECK((b - b2).abs().max().item<double>() < 1e-6);
  CHECK((c - c2).abs().max().item<double>() < 1e-6);
}

TEST_CASE("gradient clipping on the device scales as torch::nn::utils::clip_grad_norm_ does") {
  for (double max_norm : {0.5, 1e6}) {  // clipped, and left as it is
    INFO("max norm " << max_norm);
    torch::manual_seed(1);
    auto a = torch::randn({6, 4}, torch::requires_grad()), b = torch::randn({9}, torch::requires_grad());
    auto unused = torch::randn({3}, torch::requires_grad());  // no gradient: skipped by both
    auto a2 = a.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
    ((a * a).sum() * 3 + b.exp().sum()).backward();
    ((a2 * a2).sum() * 3 + b2.exp().sum()).backward();
    const double norm = torch::nn::utils::clip_grad_norm_({a, b, unused}, max_norm);
    models::clip_grad_norm_on_device({a2, b2, unused}, max_norm);
    CHECK(torch::equal(a.grad(), a2.grad()));
    CHECK(torch::equal(b.grad(), b2.grad()));
    const double after = std::sqrt(a2.grad().pow(2).sum().item<double>() + b2.grad().pow(2).sum().item<double>());
    if (max_norm < norm) CHECK(after == Approx(max_norm).epsilon(1e-4));
    else CHECK(after == Approx(norm).epsilon(1e-6));
  }
}
