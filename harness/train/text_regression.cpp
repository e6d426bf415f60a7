#include "train/text_regression.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "common/progress.hpp"
#include "models/bert.hpp"
#include "models/lora.hpp"
#include "models/foreach_adamw.hpp"
#include "train/schedule.hpp"

namespace cast {

TextRegressionResult finetune_text_regression(const std::vector<std::vector<std::int32_t>>& ids,
                                              const std::vector<double>& targets, const std::vector<int>& split,
                                              const TextRegressionOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::manual_seed(opt.seed);
  auto lm = models::load_bert_checkpoint(opt.model_dir);
  if (opt.random_init) models::init_bert_weights(*lm, lm->bert->config.initializer_range);
  auto bert = lm->bert;
  auto head = torch::nn::Linear(bert->config.hidden_size, 1);

  std::vector<std::size_t> tr, va, te;
  for (std::size_t i = 0; i < split.size(); ++i) (split[i] == 0 ? tr : split[i] == 1 ? va : te).push_back(i);
  double mean = 0, sd = 0;
  for (auto i : tr) mean += targets[i];
  mean /= static_cast<double>(tr.size());
  for (auto i : tr) sd += (targets[i] - mean) * (targets[i] - mean);
  sd = std::sqrt(sd / static_cast<double>(tr.size() - 1));

  if (opt.freeze_encoder)
    for (auto& p : bert->parameters()) p.set_requires_grad(false);
  if (opt.lora) models::set_text_encoder_mode(bert, "lora", 8, 8.0, 0.0, {"query", "value"});
  const double encoder_lr = opt.lora ? opt.lr_lora : opt.lr_encoder;
  std::vector<torch::Tensor> encoder_params;
  for (auto& p : bert->parameters())
    if (p.requires_grad()) encoder_params.push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(encoder_params, std::make_unique<torch::optim::AdamWOptions>(
                                          torch::optim::AdamWOptions(encoder_lr)
                                              .weight_decay(opt.weight_decay)));
  groups.emplace_back(head->parameters(), std::make_unique<torch::optim::AdamWOptions>(
                                              torch::optim::AdamWOptions(opt.lr_head).weight_decay(0.0)));
  models::ForeachAdamW optimizer(std::move(groups));
  const std::int64_t steps = static_cast<std::int64_t>((tr.size() + opt.batch_size - 1) / opt.batch_size) * opt.epochs;
  WarmupCosineSchedule sched{std::max<std::int64_t>(1, steps / 10), steps, 1};

  auto batch = [&](const std::vector<std::size_t>& idx, std::size_t b, std::size_t e) {
    std::size_t cols = 0;
    for (std::size_t k = b; k < e; ++k) cols = std::max(cols, std::min(ids[idx[k]].size(), opt.max_length));
    std::vector<std::int64_t> x((e - b) * cols, 0), m((e - b) * cols, 0);
    for (std::size_t r = 0; r < e - b; ++r) {
      const auto& t = ids[idx[b + r]];
      for (std::size_t c = 0; c < std::min(t.size(), cols); ++c) { x[r * cols + c] = t[c]; m[r * cols + c] = 1; }
    }
    auto shape = std::vector<int64_t>{static_cast<int64_t>(e - b), static_cast<int64_t>(cols)};
    return std::make_pair(torch::from_blob(x.data(), shape, torch::kLong).clone(),
                          torch::from_blob(m.data(), shape, torch::kLong).clone());
  };
  auto pool = [&](const torch::Tensor& hidden, const torch::Tensor& m) {
    return opt.mean_pooling ? models::masked_mean(hidden, m) : hidden.select(1, 0);
  };
  auto predict = [&](const std::vector<std::size_t>& idx) {
    torch::NoGradGuard g;
    bert->eval();
    std::vector<double> out;
    for (std::size_t b = 0; b < idx.size(); b += opt.batch_size) {
      auto e = std::min(idx.size(), b + opt.batch_size);
      auto [x, m] = batch(idx, b, e);
      auto y = head(pool(bert->forward(x, m).last_hidden_state, m)).squeeze(-1);
      for (int64_t k = 0; k < y.size(0); ++k) out.push_back(y[k].item<double>() * sd + mean);
    }
    return out;
  };
  auto mae = [&](const std::vector<std::size_t>& idx, const std::vector<double>& pred) {
    double s = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) s += std::fabs(pred[k] - targets[idx[k]]);
    return s / static_cast<double>(idx.size());
  };

  TextRegressionResult res;
  res.val_mae = 1e300;
  std::mt19937_64 rng(opt.seed);
  std::int64_t step = 0;
  std::vector<torch::Tensor> best_state;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    std::shuffle(tr.begin(), tr.end(), rng);
    bert->train();
    Progress prog(std::string(opt.random_init ? "fine-tune (random init)" : "fine-tune (pretrained)") + " epoch " +
                      std::to_string(epoch + 1),
                  (tr.size() + opt.batch_size - 1) / opt.batch_size, opt.progress);
    for (std::size_t b = 0; b < tr.size(); b += opt.batch_size) {
      auto e = std::min(tr.size(), b + opt.batch_size);
      auto [x, m] = batch(tr, b, e);
      std::vector<float> yv;
      for (std::size_t k = b; k < e; ++k) yv.push_back(static_cast<float>((targets[tr[k]] - mean) / sd));
      auto y = torch::from_blob(yv.data(), {static_cast<int64_t>(yv.size())}, torch::kFloat).clone();
      for (auto& g : optimizer.param_groups()) {
        auto& o = static_cast<torch::optim::AdamWOptions&>(g.options());
        o.lr((&g == &optimizer.param_groups()[0] ? encoder_lr : opt.lr_head) * sched.factor(step));
      }
      optimizer.zero_grad();
      auto pred = head(pool(bert->forward(x, m).last_hidden_state, m)).squeeze(-1);
      auto loss = torch::l1_loss(pred, y);
      loss.backward();
      if (!opt.freeze_encoder) models::clip_grad_norm_on_device(bert->parameters(), 1.0);
      optimizer.step();
      ++step;
      prog.add();
      prog.draw();
    }
    prog.finish();
    const double v = mae(va, predict(va));
    if (v < res.val_mae) {
      res.val_mae = v;
      res.best_epoch = epoch + 1;
      best_state.clear();
      for (auto& p : bert->parameters()) best_state.push_back(p.detach().clone());
      for (auto& p : head->parameters()) best_state.push_back(p.detach().clone());
    }
  }
  {
    torch::NoGradGuard g;
    std::size_t k = 0;
    for (auto& p : bert->parameters()) p.copy_(best_state[k++]);
    for (auto& p : head->parameters()) p.copy_(best_state[k++]);
  }
  res.test_mae = mae(te, predict(te));
  for (auto i : te) res.mean_predictor_test_mae += std::fabs(targets[i] - mean);
  res.mean_predictor_test_mae /= static_cast<double>(te.size());
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace cast
