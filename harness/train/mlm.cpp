#include "train/mlm.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/progress.hpp"
#include "dist/comm.hpp"
#include "models/autocast.hpp"
#include "models/safetensors.hpp"
#include "models/torch_pickle.hpp"
#include "models/foreach_adamw.hpp"
#include "train/device.hpp"
#include "train/schedule.hpp"
#include "train/stop_signal.hpp"

namespace cast {

void mask_tokens(std::vector<std::int64_t>& ids, std::vector<std::int64_t>& labels, std::int64_t vocab_size,
                 std::int64_t mask_id, std::int64_t first_regular_id, double prob, std::mt19937_64& rng,
                 const std::vector<char>* special) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> random_token(first_regular_id, vocab_size - 1);
  auto is_special = [&](std::int64_t id) {
    return id < first_regular_id ||
           (special && id < static_cast<std::int64_t>(special->size()) && (*special)[static_cast<std::size_t>(id)]);
  };
  labels.assign(ids.size(), -100);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (is_special(ids[i])) continue;  // [PAD] [UNK] [CLS] [SEP] [MASK] (and [unusedN])
    if (u(rng) >= prob) continue;
    labels[i] = ids[i];
    const double r = u(rng);
    if (r < 0.8) {
      ids[i] = mask_id;
    } else if (r < 0.9) {
      std::int64_t t = random_token(rng);
      for (int tries = 0; is_special(t) && tries < 1000; ++tries) t = random_token(rng);
      if (!is_special(t)) ids[i] = t;
    }
  }
}

std::vector<char> special_tokens(const std::vector<std::string>& vocab) {
  std::vector<char> out(vocab.size(), 0);
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    const std::string& t = vocab[i];
    out[i] = t.size() >= 3 && t.front() == '[' && t.back() == ']';
  }
  return out;
}

std::pair<torch::Tensor, std::pair<int64_t, int64_t>> mlm_loss(models::BertForMaskedLM& model, const MlmBatch& b) {
  auto hidden = model->bert->forward(b.ids, b.mask).last_hidden_state;
  auto sel = b.labels.ne(-100);
  auto h = hidden.index({sel});
  auto y = b.labels.index({sel});
  if (y.numel() == 0) return {torch::zeros({}, hidden.options()).requires_grad_(hidden.requires_grad()), {0, 0}};
  auto logits = model->mlm_logits(h).to(torch::kFloat);
  auto loss = torch::nn::functional::cross_entropy(logits, y);
  const int64_t correct = logits.argmax(-1).eq(y).sum().item<int64_t>();
  return {loss, {correct, y.numel()}};
}

namespace {

MlmBatch make_batch(const std::vector<std::vector<std::int32_t>>& texts, const std::vector<std::size_t>& idx,
                    std::size_t begin, std::size_t end, std::size_t max_length, std::int64_t vocab_size,
                    std::int64_t mask_id, double prob, std::mt19937_64& rng, const std::vector<char>& special) {
  std::size_t cols = 0;
  for (std::size_t k = begin; k < end; ++k) cols = std::max(cols, std::min(texts[idx[k]].size(), max_length));
  const std::size_t rows = end - begin;
  std::vector<std::int64_t> ids(rows * cols, 0), mask(rows * cols, 0), labels(rows * cols, -100);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto& t = texts[idx[begin + r]];
    std::vector<std::int64_t> row(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(std::min(t.size(), cols)));
    if (t.size() > cols) row.back() = t.back();  // keep [SEP] at the end of a truncated text
    std::vector<std::int64_t> lab;
    mask_tokens(row, lab, vocab_size, mask_id, 5, prob, rng, &special);
    for (std::size_t c = 0; c < row.size(); ++c) {
      ids[r * cols + c] = row[c];
      mask[r * cols + c] = 1;
      labels[r * cols + c] = lab[c];
    }
  }
  auto opts = torch::TensorOptions().dtype(torch::kLong);
  auto shape = std::vector<int64_t>{static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  return {torch::from_blob(ids.data(), shape, opts).clone(), torch::from_blob(mask.data(), shape, opts).clone(),
          torch::from_blob(labels.data(), shape, opts).clone()};
}

// This rank's rows of a whole batch (padded as the whole batch is).
MlmBatch rows_of(const MlmBatch& b, const dist::Comm& comm) {
  const auto [lo, hi] = dist::shard(static_cast<std::size_t>(b.ids.size(0)), comm.rank(), comm.world());
  const auto l = static_cast<int64_t>(lo), h = static_cast<int64_t>(hi);
  return {b.ids.slice(0, l, h), b.mask.slice(0, l, h), b.labels.slice(0, l, h)};
}

// Summed cross-entropy over the chosen positions of b (undefined when none), and the correct ones.
std::pair<torch::Tensor, int64_t> mlm_loss_sum(models::BertForMaskedLM& model, const MlmBatch& b) {
  auto sel = b.labels.ne(-100);
  if (b.ids.size(0) == 0 || !sel.any().item<bool>()) return {torch::Tensor(), 0};
  auto hidden = model->bert->forward(b.ids, b.mask).last_hidden_state;
  auto logits = model->mlm_logits(hidden.index({sel})).to(torch::kFloat);
  auto y = b.labels.index({sel});
  auto loss = torch::nn::functional::cross_entropy(logits, y,
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return {loss, logits.argmax(-1).eq(y).sum().item<int64_t>()};
}

void write_text(const std::string& path, const std::string& text) { write_file_atomic(path, text); }

// Loads the weights of `dir` into `model`, tiling its position embeddings when the model has
// more positions than the checkpoint (rows p >= n copy row p mod n).
void load_init_weights(models::BertForMaskedLM& model, const std::string& dir) {
  std::string path;
  auto tensors = models::load_hf_weights(dir, &path);  // model.safetensors, else pytorch_model.bin
  const int64_t want = model->bert->config.max_position_embeddings;
  for (auto& kv : tensors) {
    const std::string suffix = "position_embeddings.weight";
    const std::string& k = kv.first;
    if (k.size() < suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const int64_t have = kv.second.size(0);
    if (have > want)
      throw std::runtime_error(path + ": the checkpoint has " + std::to_string(have) +
                               " positions, more than the " + std::to_string(want) + " asked for");
    if (have < want) {
      auto idx = torch::arange(want, torch::kLong).remainder(have);
      kv.second = kv.second.index_select(0, idx).contiguous();
      spdlog::info("{}: position embeddings extended from {} to {} by tiling", dir, have, want);
    }
  }
  models::load_bert_state(*model, tensors, path, true);
}

}  // namespace

std::vector<MlmEpoch> pretrain_mlm(const std::vector<std::vector<std::int32_t>>& train,
                                   const std::vector<std::vector<std::int32_t>>& val,
                                   const std::vector<std::string>& vocab_tokens, const MlmOptions& opt,
                                   const std::function<void(const MlmEpoch&)>& on_epoch) {
  models::BertConfig cfg = opt.model;
  cfg.vocab_size = static_cast<int64_t>(vocab_tokens.size());
  cfg.max_position_embeddings = std::max<int64_t>(cfg.max_position_embeddings, static_cast<int64_t>(opt.max_length));
  torch::manual_seed(opt.seed);
  models::BertForMaskedLM model(cfg);
  models::init_bert_weights(*model, cfg.initializer_range);
  const torch::Device dev = resolve_device(opt.device);
  const bool autocast = opt.bf16 && dev.is_cuda();
  model->to(dev);  // before the optimiser and any loading: the weights are copied onto it
  const std::string state_path = opt.out_dir + "/trainer_state.json";
  const bool resuming = !opt.out_dir.empty() && file_exists(state_path);
  if (!opt.init_dir.empty() && !resuming) load_init_weights(model, opt.init_dir);
  const std::vector<char> special = special_tokens(vocab_tokens);
  int64_t mask_id = -1;
  for (std::size_t i = 0; i < vocab_tokens.size(); ++i)
    if (vocab_tokens[i] == "[MASK]") mask_id = static_cast<int64_t>(i);

  std::vector<torch::Tensor> decay, no_decay;
  for (auto& kv : model->named_parameters()) {
    const bool nd = kv.key().find("LayerNorm") != std::string::npos || kv.key().find("bias") != std::string::npos;
    (nd ? no_decay : decay).push_back(kv.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opt.lr).weight_decay(0.0)));
  models::ForeachAdamW optimizer(std::move(groups));

  const std::size_t steps_per_epoch = (train.size() + opt.batch_size - 1) / opt.batch_size;
  WarmupCosineSchedule sched{opt.warmup_steps, static_cast<std::int64_t>(steps_per_epoch) * opt.epochs, opt.cycles};
  std::vector<MlmEpoch> history;
  int start_epoch = 0;
  std::int64_t step = 0;
  if (resuming) {
    auto st = nlohmann::json::parse(read_file(state_path));
    start_epoch = st.at("epoch").get<int>();
    step = st.at("step").get<std::int64_t>();
    for (const auto& h : st.at("history"))
      history.push_back({h["epoch"], h["train_loss"], h["val_loss"], h["val_accuracy"], h["seconds"]});
    models::load_bert_state(*model, models::load_safetensors(opt.out_dir + "/model.safetensors"),
                            opt.out_dir + "/model.safetensors", false);
    torch::load(optimizer, opt.out_dir + "/optimizer.pt");
    if (!opt.comm || opt.comm->rank() == 0)
      spdlog::info("resuming {} after epoch {} (step {})", opt.out_dir, start_epoch, step);
  }
  dist::Comm* comm = opt.comm && opt.comm->world() > 1 ? opt.comm.get() : nullptr;
  const bool lead = !comm || comm->rank() == 0;
  std::vector<torch::Tensor> params;
  if (comm) {
    std::size_t tokens = 0;
    for (const auto& t : train) tokens += t.size();
    const nlohmann::json c = {{"seed", opt.seed}, {"epochs", opt.epochs}, {"batch_size", opt.batch_size},
                              {"lr", opt.lr}, {"max_length", opt.max_length}, {"vocab", vocab_tokens.size()},
                              {"train", train.size()}, {"val", val.size()}, {"tokens", tokens}, {"start", start_epoch}};
    dist::require_same(*comm, "lm pretrain configuration (corpus, vocabulary, options, resumed epoch)", c.dump());
    dist::broadcast_module(*comm, *model);
    for (auto& p : model->parameters())
      if (p.requires_grad()) params.push_back(p);
  }

  std::vector<std::size_t> order(train.size());
  for (int epoch = start_epoch; epoch < opt.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(opt.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    // Dropout draws from torch's generator: reseed per epoch so a resumed run repeats them.
    torch::manual_seed(opt.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) + 17 +
                       (comm ? static_cast<std::uint64_t>(comm->rank()) * 1000000007ULL : 0));
    std::shuffle(order.begin(), order.end(), rng);
    model->train();
    double loss_sum = 0;
    std::size_t nb = 0;
    Progress prog("lm pretrain epoch " + std::to_string(epoch + 1) + "/" + std::to_string(opt.epochs),
                  steps_per_epoch, opt.progress && lead);
    for (std::size_t b = 0; b < train.size(); b += opt.batch_size) {
      auto batch = make_batch(train, order, b, std::min(train.size(), b + opt.batch_size), opt.max_length,
                              cfg.vocab_size, mask_id, opt.mask_prob, rng, special)
                       .to(dev);
      models::AutocastGuard guard(autocast);
      const double f = sched.factor(step);
      for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(opt.lr * f);
      optimizer.zero_grad();
      double lv = 0;
      bool stop = false;
      if (!comm) {
        auto [loss, acc] = mlm_loss(model, batch);
        (void)acc;
        lv = loss.item<double>();
        if (std::isfinite(lv)) loss.backward();
        stop = stop_requested();
      } else {
        // The whole batch masked as one process masks it; this rank's rows; the summed loss over
        // the whole batch's chosen tokens, so the all-reduced SUM is one process's gradient.
        const double chosen = static_cast<double>(batch.labels.ne(-100).sum().item<int64_t>());
        auto [loss, correct] = mlm_loss_sum(model, rows_of(batch, *comm));
        (void)correct;
        double local = 0;
        if (loss.defined()) {
          loss = loss / std::max(1.0, chosen);
          local = loss.item<double>();
          if (std::isfinite(local)) loss.backward();
        }
        std::vector<double> scalars{local};
        stop = dist::sync_gradients(*comm, params, stop_requested(), scalars);
        lv = scalars[0];
      }
      if (!std::isfinite(lv))
        throw std::runtime_error("MLM loss is not finite at epoch " + std::to_string(epoch + 1) + ", step " +
                                 std::to_string(step) + "; lower --lr");
      models::clip_grad_norm_on_device(model->parameters(), 1.0);
      optimizer.step();
      loss_sum += lv;
      ++nb;
      ++step;
      prog.add();
      prog.draw();
      // A stop signal (train/stop_signal.hpp): the resumable state is the one written at the end
      // of the last whole epoch, so this epoch's steps so far are done again after the restart.
      if (stop) {
        prog.finish();
        throw StopRequested("lm pretrain stopped by a signal at step " + std::to_string(step) + " (epoch " +
                            std::to_string(epoch + 1) + "); run again to resume after epoch " + std::to_string(epoch) +
                            " from " + opt.out_dir);
      }
    }
    prog.finish();
    // Held-out loss and accuracy with a fixed masking seed (comparable across epochs).
    model->eval();
    torch::NoGradGuard ng;
    std::mt19937_64 vrng(12345);
    std::vector<std::size_t> vorder(val.size());
    std::iota(vorder.begin(), vorder.end(), 0);
    double vloss = 0;
    int64_t correct = 0, total = 0;
    for (std::size_t b = 0; b < val.size(); b += opt.batch_size) {
      auto batch = make_batch(val, vorder, b, std::min(val.size(), b + opt.batch_size), opt.max_length,
                              cfg.vocab_size, mask_id, opt.mask_prob, vrng, special)
                       .to(dev);
      models::AutocastGuard guard(autocast);
      if (comm) {
        auto mine = rows_of(batch, *comm);
        auto [loss, right] = mlm_loss_sum(model, mine);
        if (loss.defined()) vloss += loss.item<double>();
        correct += right;
        total += mine.labels.ne(-100).sum().item<int64_t>();
        continue;
      }
      auto [loss, acc] = mlm_loss(model, batch);
      vloss += loss.item<double>() * static_cast<double>(acc.second);
      correct += acc.first;
      total += acc.second;
    }
    if (comm) {
      auto sums = torch::tensor({vloss, static_cast<double>(correct), static_cast<double>(total)}, torch::kDouble).to(dev);
      comm->allreduce_sum(sums);
      sums = sums.to(torch::kCPU);
      vloss = sums[0].item<double>();
      correct = static_cast<int64_t>(sums[1].item<double>());
      total = static_cast<int64_t>(sums[2].item<double>());
    }
    MlmEpoch e{epoch + 1, nb ? loss_sum / static_cast<double>(nb) : 0.0, total ? vloss / static_cast<double>(total) : 0.0,
               total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    history.push_back(e);
    if (on_epoch && lead) on_epoch(e);
    if (!opt.out_dir.empty() && lead) {
      make_directories(opt.out_dir);
      models::save_bert_checkpoint(model, opt.out_dir);
      std::string vocab;
      for (const auto& t : vocab_tokens) vocab += t + "\n";
      write_text(opt.out_dir + "/vocab.txt", vocab);
      torch::save(optimizer, opt.out_dir + "/optimizer.pt.tmp");
      std::rename((opt.out_dir + "/optimizer.pt.tmp").c_str(), (opt.out_dir + "/optimizer.pt").c_str());
      nlohmann::json st;
      st["format"] = "cast-lm-pretrain-1";
      st["epoch"] = epoch + 1;
      st["step"] = step;
      st["seed"] = opt.seed;
      for (const auto& h : history)
        st["history"].push_back({{"epoch", h.epoch}, {"train_loss", h.train_loss}, {"val_loss", h.val_loss},
                                 {"val_accuracy", h.val_accuracy}, {"seconds", h.seconds}});
      write_text(state_path, st.dump(2));
    }
    if (comm) comm->barrier(std::chrono::minutes(10));
    if (opt.stop_after_epoch > 0 && epoch + 1 >= opt.stop_after_epoch) break;
  }
  return history;
}

}  // namespace cast
