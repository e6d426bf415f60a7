#include "train/pretrain.hpp"

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "graph/node_features.hpp"
#include "train/schedule.hpp"
#include "train/stop_signal.hpp"

namespace cast {

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
  for (auto& kv : m.named_parameters()) a.write(kv.key(), kv.value());
  a.save_to(path + ".tmp");
  std::rename((path + ".tmp").c_str(), path.c_str());
}


}  // namespace

PretrainResult pretrain_mnp(const Dataset& d, const TrainConfig& c, double mask_prob,
                            const std::function<void(int, double, double)>& on_epoch) {
  torch::manual_seed(c.seed);
  ModelConfig mc = c.model;
  mc.kind = "cast";
  auto model = make_regressor(mc);
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
    torch::manual_seed(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) + 17);
    model->train();
    auto batches = make_batches(d, order, c);
    Progress prog("mnp pretrain epoch " + std::to_string(epoch + 1), batches.size(), c.progress);
    double loss_sum = 0;
    for (const auto& br : batches) {
      auto b = build_batch(d, br, true, 0.0, 1.0);
      auto labels = mask_nodes(b.graphs, mask_prob, rng);
      set_learning_rates(opt, c, sched.factor(step));
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(mnp_logits(*model, b), labels,
                                                       torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
      const double lv = loss.item<double>();
      if (!std::isfinite(lv)) throw std::runtime_error("MNP loss is not finite at step " + std::to_string(step));
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), c.clip);
      opt.step();
      loss_sum += lv;
      ++step;
      prog.add();
      prog.draw();
      // A stop signal (train/stop_signal.hpp). Pretraining keeps no resumable state (its weights
      // are written at the end), so the requeued job starts it again.
      if (stop_requested()) {
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
      auto b = build_batch(d, br, true, 0.0, 1.0);
      auto labels = mask_nodes(b.graphs, mask_prob, vrng);
      auto pred = mnp_logits(*model, b).argmax(-1);
      auto m = labels.ne(-100);
      correct += pred.masked_select(m).eq(labels.masked_select(m)).sum().item<int64_t>();
      total += m.sum().item<int64_t>();
      auto l = labels.masked_select(m);
      for (int64_t k = 0; k < l.size(0); ++k) ++freq[l[k].item<int64_t>()];
    }
    int64_t top = 0;
    for (const auto& [e, n] : freq) top = std::max(top, n);
    const double acc = total ? static_cast<double>(correct) / total : 0.0;
    res.baseline = total ? static_cast<double>(top) / total : 0.0;
    res.train_loss.push_back(loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size())));
    res.val_metric.push_back(acc);
    if (on_epoch) on_epoch(epoch + 1, res.train_loss.back(), acc);
  }
  if (!c.out_dir.empty()) {
    make_directories(c.out_dir);
    res.weights = c.out_dir + "/model.pt";
    save_flat(*model, res.weights);
  }
  return res;
}

PretrainResult pretrain_contrastive(const Dataset& d, const TrainConfig& c, double temperature,
                                    const std::function<void(int, double, double)>& on_epoch) {
  torch::manual_seed(c.seed);
  models::CoGNOptions co = c.model.cogn;
  ContrastivePair pair(c.model);
  std::vector<torch::Tensor> params;
  for (auto& p : pair->parameters()) if (p.requires_grad()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(c.lr).weight_decay(0.05).betas({0.9, 0.95}));
  auto train = split_rows(d, Split::Train), val = split_rows(d, Split::Val);
  const auto steps = static_cast<std::int64_t>(make_batches(d, train, c).size()) * c.epochs;
  WarmupCosineSchedule sched{std::min<std::int64_t>(c.warmup_steps, std::max<std::int64_t>(1, steps / 10)), steps, 1};
  auto clip_loss = [&](const ModelBatch& b) {
    auto [g, t] = pair->embed(b);
    g = torch::nn::functional::normalize(g, torch::nn::functional::NormalizeFuncOptions().dim(-1));
    t = torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().dim(-1));
    auto logits = torch::matmul(t, g.t()) / temperature;
    auto target = torch::arange(logits.size(0), torch::kLong);
    return 0.5 * (torch::nn::functional::cross_entropy(logits, target) +
                  torch::nn::functional::cross_entropy(logits.t(), target));
  };
  PretrainResult res;
  std::int64_t step = 0;
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    std::mt19937_64 rng(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    auto order = train;
    std::shuffle(order.begin(), order.end(), rng);
    pair->train();
    auto batches = make_batches(d, order, c);
    Progress prog("contrastive pretrain epoch " + std::to_string(epoch + 1), batches.size(), c.progress);
    double loss_sum = 0;
    for (const auto& br : batches) {
      if (br.size() < 2) continue;
      auto b = build_batch(d, br, true, 0.0, 1.0);
      static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).lr(c.lr * sched.factor(step));
      opt.zero_grad();
      auto loss = clip_loss(b);
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++step;
      prog.add();
      prog.draw();
      if (stop_requested()) {
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
      vl += clip_loss(build_batch(d, br, true, 0.0, 1.0)).item<double>();
      ++nb;
    }
    res.train_loss.push_back(loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size())));
    res.val_metric.push_back(nb ? vl / nb : 0.0);
    if (on_epoch) on_epoch(epoch + 1, res.train_loss.back(), res.val_metric.back());
  }
  (void)co;
  if (!c.out_dir.empty()) {
    make_directories(c.out_dir);
    res.weights = c.out_dir + "/model.pt";
    save_flat(*pair, res.weights);
  }
  return res;
}

}  // namespace cast
