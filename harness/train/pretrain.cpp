#include "train/pretrain.hpp"

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "dist/comm.hpp"
#include "graph/node_features.hpp"
#include "models/autocast.hpp"
#include "models/foreach_adamw.hpp"
#include "train/device.hpp"
#include "train/schedule.hpp"
#include "train/stop_signal.hpp"

namespace cast {

torch::Tensor mnp_loss(Regressor& cast_model, const ModelBatch& b, const torch::Tensor& labels, bool autocast) {
  models::AutocastGuard guard(autocast);
  return torch::nn::functional::cross_entropy(mnp_logits(cast_model, b).to(torch::kFloat), labels,
                                              torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

std::pair<torch::Tensor, torch::Tensor> contrastive_embeddings(ContrastivePair& pair, const ModelBatch& b, bool autocast) {
  torch::Tensor g, t;
  {
    models::AutocastGuard guard(autocast);
    auto [ge, te] = pair->embed(b);
    g = ge.to(torch::kFloat);
    t = te.to(torch::kFloat);
  }
  const auto unit = torch::nn::functional::NormalizeFuncOptions().dim(-1);
  return {torch::nn::functional::normalize(g, unit), torch::nn::functional::normalize(t, unit)};
}

torch::Tensor clip_loss(const torch::Tensor& graph, const torch::Tensor& text, double temperature) {
  auto logits = torch::matmul(text, graph.t()) / temperature;
  auto target = torch::arange(logits.size(0), torch::TensorOptions().dtype(torch::kLong).device(logits.device()));
  return 0.5 * (torch::nn::functional::cross_entropy(logits, target) +
                torch::nn::functional::cross_entropy(logits.t(), target));
}

torch::Tensor mask_nodes(models::GraphBatch& g, double prob, std::mt19937_64& rng) {
  const int64_t n = g.element_index.size(0);
  auto labels = torch::full({n}, -100, torch::kLong);
  auto gi = g.graph_index.accessor<int64_t, 1>();
  auto ei = g.element_index.accessor<int64_t, 1>();
  auto lab = labels.accessor<int64_t, 1>();
  std::uniform_real_distribution<double> u(0, 1);
  int64_t start = 0;
  while (start < n) {
    int64_t end = start;
    while (end < n && gi[end] == gi[start]) ++end;
    bool any = false;
    for (int64_t i = start; i < end; ++i)
      if (u(rng) < prob) { lab[i] = ei[i]; any = true; }
    if (!any) {  // at least one masked node per structure
      std::uniform_int_distribution<int64_t> pick(start, end - 1);
      const int64_t i = pick(rng);
      lab[i] = ei[i];
    }
    start = end;
  }
  auto masked = labels.ne(-100);
  g.element_index = g.element_index.masked_fill(masked, kMaskElementIndex);
  g.node_features = g.node_features.masked_fill(masked.unsqueeze(-1), 0.0);
  return labels;
}

namespace {

void save_flat(torch::nn::Module& m, const std::string& path) {
  torch::serialize::OutputArchive a;
  // On the CPU: weights pretrained on a GPU load on a machine without one.
  for (auto& kv : m.named_parameters()) a.write(kv.key(), kv.value().detach().to(torch::kCPU));
  a.save_to(path + ".tmp");
  std::rename((path + ".tmp").c_str(), path.c_str());
}

// Data parallel (c.comm with several ranks): the configuration compared, rank 0's weights sent.
dist::Comm* join(const TrainConfig& c, const Dataset& d, const std::string& kind, torch::nn::Module& m,
                 std::vector<torch::Tensor>& params) {
  if (!c.comm || c.comm->world() < 2) return nullptr;
  const nlohmann::json cfg = {{"kind", kind}, {"seed", c.seed}, {"epochs", c.epochs}, {"batch_size", c.batch_size},
                              {"lr", c.lr}, {"text_encoder", c.model.text_encoder}, {"dataset_key", d.key},
                              {"records", d.records.size()}};
  dist::require_same(*c.comm, "pretraining configuration", cfg.dump());
  dist::broadcast_module(*c.comm, m);
  for (auto& p : m.parameters())
    if (p.requires_grad()) params.push_back(p);
  return c.comm.get();
}

std::vector<std::size_t> part_of(const std::vector<std::size_t>& rows, const dist::Comm& comm) {
  const auto [lo, hi] = dist::shard(rows.size(), comm.rank(), comm.world());
  return {rows.begin() + static_cast<std::ptrdiff_t>(lo), rows.begin() + static_cast<std::ptrdiff_t>(hi)};
}

// The masks of a whole batch, drawn as one process draws them (so every rank masks alike), then
// applied to this rank's shard of it: its nodes are a contiguous range of the whole batch's.
torch::Tensor mask_shard(const Dataset& d, const std::vector<std::size_t>& rows, const dist::Comm& comm, double prob,
                         std::mt19937_64& rng, ModelBatch& part, int64_t& masked_total) {
  auto whole = build_batch(d, rows, false, 0.0, 1.0);
  auto labels = mask_nodes(whole.graphs, prob, rng);
  masked_total = labels.ne(-100).sum().item<int64_t>();
  const auto [lo, hi] = dist::shard(rows.size(), comm.rank(), comm.world());
  int64_t n0 = 0, n1 = 0;
  for (std::size_t k = 0; k < hi; ++k) {
    const auto n = static_cast<int64_t>(d.records[rows[k]].graph.num_nodes());
    if (k < lo) n0 += n;
    n1 += n;
  }
  auto mine = labels.slice(0, n0, n1);
  if (hi == lo) return mine;
  auto masked = mine.ne(-100);
  part.graphs.element_index = part.graphs.element_index.masked_fill(masked, kMaskElementIndex);
  part.graphs.node_features = part.graphs.node_features.masked_fill(masked.unsqueeze(-1), 0.0);
  return mine;
}


}  // namespace

PretrainResult pretrain_mnp(const Dataset& d, const TrainConfig& c, double mask_prob,
                            const std::function<void(int, double, double)>& on_epoch) {
  torch::manual_seed(c.seed);
  ModelConfig mc = c.model;
  mc.kind = "cast";
  const torch::Device dev = resolve_device(c.device);
  const bool autocast = c.bf16 && dev.is_cuda();
  auto model = make_regressor(mc);
  model->to(dev);
  std::vector<torch::Tensor> params;
  dist::Comm* comm = join(c, d, "mnp", *model, params);
  const bool lead = !comm || comm->rank() == 0;
  const std::uint64_t rank = comm ? static_cast<std::uint64_t>(comm->rank()) : 0;
  auto opt_ptr = make_optimizer(*model, c);
  torch::optim::AdamW& opt = *opt_ptr;
  auto train = split_rows(d, Split::Train), val = split_rows(d, Split::Val);
  const auto steps = static_cast<std::int64_t>(make_batches(d, train, c).size()) * c.epochs;
  WarmupCosineSchedule sched{std::min<std::int64_t>(c.warmup_steps, std::max<std::int64_t>(1, steps / 10)), steps, c.cycles};
  PretrainResult res;
  std::int64_t step = 0;
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    std::mt19937_64 rng(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    auto order = train;
    std::shuffle(order.begin(), order.end(), rng);
    // Dropout: per rank as well (rank 0 draws what one process draws).
    torch::manual_seed(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) + 17 + rank * 1000000007ULL);
    model->train();
    auto batches = make_batches(d, order, c);
    Progress prog("mnp pretrain epoch " + std::to_string(epoch + 1), batches.size(), c.progress && lead);
    double loss_sum = 0;
    for (const auto& br : batches) {
      set_learning_rates(opt, c, sched.factor(step));
      opt.zero_grad();
      double lv = 0;
      bool stop = false;
      if (!comm) {
        auto b = build_batch(d, br, true, 0.0, 1.0);
        auto labels = mask_nodes(b.graphs, mask_prob, rng).to(dev);  // masks drawn on the CPU, as always
        b = b.to(dev);
        auto loss = mnp_loss(*model, b, labels, autocast);
        lv = loss.item<double>();
        if (std::isfinite(lv)) loss.backward();
        stop = stop_requested();
      } else {
        // The shard's summed cross-entropy over the whole batch's masked nodes: the all-reduced
        // SUM of the gradients is one process's mean-loss gradient.
        auto rows = part_of(br, *comm);
        ModelBatch b = rows.empty() ? ModelBatch{} : build_batch(d, rows, true, 0.0, 1.0);
        int64_t masked_total = 0;
        auto labels = mask_shard(d, br, *comm, mask_prob, rng, b, masked_total);
        double local = 0;
        if (!rows.empty() && labels.ne(-100).any().item<bool>()) {
          b = b.to(dev);
          labels = labels.to(dev);
          models::AutocastGuard guard(autocast);
          auto loss = torch::nn::functional::cross_entropy(
                          mnp_logits(*model, b).to(torch::kFloat), labels,
                          torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum)) /
                      static_cast<double>(std::max<int64_t>(1, masked_total));
          local = loss.item<double>();
          if (std::isfinite(local)) loss.backward();
        }
        std::vector<double> scalars{local};
        stop = dist::sync_gradients(*comm, params, stop_requested(), scalars);
        lv = scalars[0];
      }
      if (!std::isfinite(lv)) throw std::runtime_error("MNP loss is not finite at step " + std::to_string(step));
      models::clip_grad_norm_on_device(model->parameters(), c.clip);
      opt.step();
      loss_sum += lv;
      ++step;
      prog.add();
      prog.draw();
      // A stop signal (train/stop_signal.hpp). Pretraining keeps no resumable state (its weights
      // are written at the end), so the requeued job starts it again.
      if (stop) {
        prog.finish();
        throw StopRequested("mnp pretraining stopped by a signal at step " + std::to_string(step) +
                            "; it keeps no resumable state and starts again when run again");
      }
    }
    prog.finish();
    // Validation: fixed masks; accuracy against always guessing the most frequent element.
    torch::NoGradGuard g;
    model->eval();
    std::mt19937_64 vrng(4242);
    int64_t correct = 0, total = 0;
    std::map<int64_t, int64_t> freq;
    for (const auto& br : make_batches(d, val, c)) {
      // Data parallel: the shard of each batch, with the whole batch's masks; counts summed below.
      ModelBatch b;
      torch::Tensor labels;
      if (!comm) {
        b = build_batch(d, br, true, 0.0, 1.0);
        labels = mask_nodes(b.graphs, mask_prob, vrng);
      } else {
        auto rows = part_of(br, *comm);
        if (!rows.empty()) b = build_batch(d, rows, true, 0.0, 1.0);
        int64_t masked_total = 0;
        labels = mask_shard(d, br, *comm, mask_prob, vrng, b, masked_total);
        if (rows.empty()) continue;
      }
      b = b.to(dev);
      torch::Tensor pred;
      {
        models::AutocastGuard guard(autocast);
        pred = mnp_logits(*model, b).argmax(-1).to(torch::kCPU);
      }
      auto m = labels.ne(-100);
      correct += pred.masked_select(m).eq(labels.masked_select(m)).sum().item<int64_t>();
      total += m.sum().item<int64_t>();
      auto l = labels.masked_select(m);
      for (int64_t k = 0; k < l.size(0); ++k) ++freq[l[k].item<int64_t>()];
    }
    if (comm) {
      auto counts = torch::zeros({kMaskElementIndex + 3}, torch::kDouble);
      counts[0] = static_cast<double>(correct);
      counts[1] = static_cast<double>(total);
      for (const auto& [e, n] : freq) counts[e + 2] = static_cast<double>(n);
      counts = counts.to(dev);  // where the process group's collectives run (NCCL: the GPU)
      comm->allreduce_sum(counts);
      counts = counts.to(torch::kCPU);
      correct = static_cast<int64_t>(counts[0].item<double>());
      total = static_cast<int64_t>(counts[1].item<double>());
      freq.clear();
      for (int64_t e = 0; e <= kMaskElementIndex; ++e)
        if (counts[e + 2].item<double>() > 0) freq[e] = static_cast<int64_t>(counts[e + 2].item<double>());
    }
    int64_t top = 0;
    for (const auto& [e, n] : freq) top = std::max(top, n);
    const double acc = total ? static_cast<double>(correct) / total : 0.0;
    res.baseline = total ? static_cast<double>(top) / total : 0.0;
    res.train_loss.push_back(loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size())));
    res.val_metric.push_back(acc);
    if (on_epoch && lead) on_epoch(epoch + 1, res.train_loss.back(), acc);
  }
  if (!c.out_dir.empty()) {
    res.weights = c.out_dir + "/model.pt";
    if (lead) {
      make_directories(c.out_dir);
      save_flat(*model, res.weights);
    }
  }
  if (comm) comm->barrier(std::chrono::minutes(10));
  return res;
}

PretrainResult pretrain_contrastive(const Dataset& d, const TrainConfig& c, double temperature,
                                    const std::function<void(int, double, double)>& on_epoch) {
  torch::manual_seed(c.seed);
  models::CoGNOptions co = c.model.cogn;
  ContrastivePair pair(c.model);
  const torch::Device dev = resolve_device(c.device);
  const bool autocast = c.bf16 && dev.is_cuda();
  pair->to(dev);
  std::vector<torch::Tensor> params;
  for (auto& p : pair->parameters()) if (p.requires_grad()) params.push_back(p);
  std::vector<torch::Tensor> dparams;
  dist::Comm* comm = join(c, d, "contrastive", *pair, dparams);
  const bool lead = !comm || comm->rank() == 0;
  models::ForeachAdamW opt(params, torch::optim::AdamWOptions(c.lr).weight_decay(0.05).betas({0.9, 0.95}));
  auto train = split_rows(d, Split::Train), val = split_rows(d, Split::Val);
  const auto steps = static_cast<std::int64_t>(make_batches(d, train, c).size()) * c.epochs;
  WarmupCosineSchedule sched{std::min<std::int64_t>(c.warmup_steps, std::max<std::int64_t>(1, steps / 10)), steps, 1};
  // Data parallel: each rank embeds its shard; the embeddings of the other ranks are gathered
  // (without gradient) around this rank's own (with it), so every rank computes the whole batch's
  // loss (its in-batch negatives) and the all-reduced SUM of the gradients is one process's.
  auto whole = [&](torch::Tensor mine, std::size_t n) {
    const auto [lo, hi] = dist::shard(n, comm->rank(), comm->world());
    (void)lo;
    (void)hi;
    std::size_t most = 0;
    for (int r = 0; r < comm->world(); ++r) {
      const auto [a, b] = dist::shard(n, r, comm->world());
      most = std::max(most, b - a);
    }
    auto padded = torch::zeros({static_cast<int64_t>(most), mine.size(1)}, mine.options().requires_grad(false));
    padded.slice(0, 0, mine.size(0)).copy_(mine.detach());
    auto all = comm->allgather(padded);
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < comm->world(); ++r) {
      const auto [a, b] = dist::shard(n, r, comm->world());
      parts.push_back(r == comm->rank() ? mine : all[static_cast<std::size_t>(r)].slice(0, 0, static_cast<int64_t>(b - a)));
    }
    return torch::cat(parts);
  };
  auto batch_loss = [&](const ModelBatch& b, std::size_t whole_n) {
    auto [g, t] = contrastive_embeddings(pair, b, autocast);
    if (whole_n > 0) {
      g = whole(g, whole_n);
      t = whole(t, whole_n);
    }
    return clip_loss(g, t, temperature);
  };
  PretrainResult res;
  std::int64_t step = 0;
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    std::mt19937_64 rng(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    auto order = train;
    std::shuffle(order.begin(), order.end(), rng);
    pair->train();
    auto batches = make_batches(d, order, c);
    Progress prog("contrastive pretrain epoch " + std::to_string(epoch + 1), batches.size(), c.progress && lead);
    double loss_sum = 0;
    for (const auto& br : batches) {
      if (br.size() < 2) continue;
      // A batch with fewer structures than ranks goes whole through every rank (nothing sharded).
      const bool sharded = comm && br.size() >= static_cast<std::size_t>(comm->world());
      auto b = build_batch(d, sharded ? part_of(br, *comm) : br, true, 0.0, 1.0).to(dev);
      static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).lr(c.lr * sched.factor(step));
      opt.zero_grad();
      auto loss = batch_loss(b, sharded ? br.size() : 0);
      loss.backward();
      bool stop = stop_requested();
      if (comm) {
        std::vector<double> none;
        if (!sharded)  // every rank has the whole gradient: the SUM is divided back
          for (auto& p : dparams)
            if (p.grad().defined()) p.mutable_grad().div_(static_cast<double>(comm->world()));
        stop = dist::sync_gradients(*comm, dparams, stop, none);
      }
      opt.step();
      loss_sum += loss.item<double>();
      ++step;
      prog.add();
      prog.draw();
      if (stop) {
        prog.finish();
        throw StopRequested("contrastive pretraining stopped by a signal at step " + std::to_string(step) +
                            "; it keeps no resumable state and starts again when run again");
      }
    }
    prog.finish();
    torch::NoGradGuard g;
    pair->eval();
    double vl = 0;
    int nb = 0;
    for (const auto& br : make_batches(d, val, c)) {
      if (br.size() < 2) continue;
      const bool sharded = comm && br.size() >= static_cast<std::size_t>(comm->world());
      vl += batch_loss(build_batch(d, sharded ? part_of(br, *comm) : br, true, 0.0, 1.0).to(dev), sharded ? br.size() : 0)
                .item<double>();
      ++nb;
    }
    res.train_loss.push_back(loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size())));
    res.val_metric.push_back(nb ? vl / nb : 0.0);
    if (on_epoch && lead) on_epoch(epoch + 1, res.train_loss.back(), res.val_metric.back());
  }
  (void)co;
  if (!c.out_dir.empty()) {
    res.weights = c.out_dir + "/model.pt";
    if (lead) {
      make_directories(c.out_dir);
      save_flat(*pair, res.weights);
    }
  }
  if (comm) comm->barrier(std::chrono::minutes(10));
  return res;
}

}  // namespace cast
