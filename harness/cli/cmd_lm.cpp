// cast lm tokenize | embed: check tokenisation against other tools and export text embeddings.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/dist_cli.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "models/bert.hpp"
#include "models/safetensors.hpp"
#include "text/normalizer.hpp"
#include "data/split.hpp"
#include "text/vocab_trainer.hpp"
#include "text/wordpiece.hpp"
#include "train/device.hpp"
#include "train/mlm.hpp"
#include "train/stop_signal.hpp"
#include "train/text_regression.hpp"
#include "data/dataset.hpp"

namespace cast::cli {

namespace {

struct TextArgs {
  std::string input, vocab, normalizer_map, model, lora, out;
  bool normalize = false;
  double lora_alpha = 0;
  std::size_t max_length = 512, batch = 16;
};

// Texts of a JSONL file ({"text": ...} a line), with per-line errors kept.
struct TextLine {
  std::size_t line;
  std::string text, error;
};
std::vector<TextLine> read_texts(const std::string& path) {
  std::vector<TextLine> out;
  for_each_line(path, [&](std::string&& l, std::size_t no) {
    TextLine t{no, {}, {}};
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !j.is_object()) t.error = "not a JSON object";
    else if (!j.contains("text") || !j["text"].is_string()) t.error = "no string field 'text'";
    else t.text = j["text"].get<std::string>();
    out.push_back(std::move(t));
    return true;
  });
  return out;
}

text::TextNormalizer make_normalizer(const TextArgs& a) {
  return a.normalizer_map.empty() ? text::TextNormalizer::builtin()
                                  : text::TextNormalizer::from_file(a.normalizer_map);
}

void add_text_options(CLI::App* cmd, TextArgs& a) {
  cmd->add_flag("--normalize", a.normalize, "Apply the MatSciBERT text normaliser first");
  cmd->add_option("--normalizer-map", a.normalizer_map,
                  "MatSciBERT's vocab_mappings.txt (implies --normalize; default: cast's built-in table)");
  cmd->add_option("--max-length", a.max_length, "Truncate to this many tokens, [CLS] and [SEP] included")
      ->capture_default_str();
}

// Descriptions of a corpus file: JSONL(.gz) with "description" or "text", and an id field
// ("material_id" or "id") used for the frozen split; lines without text are counted.
struct CorpusText {
  std::string id, text;
};
std::vector<CorpusText> read_corpus(const std::vector<std::string>& files, std::size_t limit, std::size_t& skipped) {
  std::vector<CorpusText> out;
  for (const auto& f : files) {
    for_each_line(f, [&](std::string&& l, std::size_t no) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      CorpusText c;
      if (j.is_object()) {
        for (const char* k : {"description", "text"})
          if (j.contains(k) && j[k].is_string()) { c.text = j[k].get<std::string>(); break; }
        for (const char* k : {"material_id", "id"})
          if (j.contains(k) && j[k].is_string()) { c.id = j[k].get<std::string>(); break; }
      }
      if (c.text.empty()) { ++skipped; return true; }
      if (c.id.empty()) c.id = f + ":" + std::to_string(no);
      out.push_back(std::move(c));
      return limit == 0 || out.size() < limit;
    });
  }
  return out;
}

struct PretrainArgs {
  std::vector<std::string> corpus;
  std::string vocab, out, profile = "demo", init;
  std::size_t vocab_size = 0, limit = 0, max_length = 0, batch = 0;
  int epochs = 0;
  double lr = 0;
  std::uint64_t seed = 0;
  bool quiet = false;
  std::string device = "cpu";
};

}  // namespace

void register_lm(CLI::App& app, Action& action) {
  auto* lm = app.add_subcommand("lm", "The text encoder: tokenisation, embeddings, domain-LM pretraining");
  lm->require_subcommand(1);

  auto ta = std::make_shared<TextArgs>();
  auto* tok = lm->add_subcommand("tokenize", "Token ids of texts: one {\"text\"} a line in, one {\"ids\"} a line out");
  tok->add_option("file", ta->input, "JSONL with a 'text' field per line")->required();
  tok->add_option("--vocab", ta->vocab, "WordPiece vocab.txt")->required();
  add_text_options(tok, *ta);
  tok->callback([ta, &action] {
    action = [ta] {
      auto vocab = std::make_shared<const text::Vocab>(text::Vocab::from_file(ta->vocab));
      text::BertTokenizer tokenizer(vocab);
      const bool norm = ta->normalize || !ta->normalizer_map.empty();
      auto normalizer = make_normalizer(*ta);
      int bad = 0;
      for (const auto& t : read_texts(ta->input)) {
        nlohmann::json out;
        std::string error = t.error;
        if (error.empty()) {
          try {
            auto enc = tokenizer.encode(norm ? normalizer.normalize(t.text) : t.text, ta->max_length);
            out["ids"] = enc.ids;
          } catch (const InputError& e) {
            error = e.what();
          }
        }
        if (!error.empty()) {
          ++bad;
          std::fprintf(stderr, "ERROR: %s:%zu: %s\n", ta->input.c_str(), t.line, error.c_str());
          out["ids"] = nullptr;
          out["error"] = error;
        }
        std::printf("%s\n", out.dump().c_str());
      }
      return bad ? 1 : 0;
    };
  });

  auto pa = std::make_shared<PretrainArgs>();
  auto dargs = std::make_shared<DistArgs>();
  auto* pre = lm->add_subcommand("pretrain",
      "MLM-pretrain a domain BERT on the training-split descriptions (15% masking, 80/10/10)");
  pre->add_option("--corpus", pa->corpus, "JSONL(.gz) files with 'description' or 'text' (and 'material_id')")->required();
  pre->add_option("--out", pa->out, "Checkpoint directory (Hugging Face format; resumed when it exists)")->required();
  pre->add_option("--profile", pa->profile, "demo | small | paper-sized model (layers, width, length, epochs)")
      ->check(CLI::IsMember({"demo", "small", "paper"}))->capture_default_str();
  pre->add_option("--vocab", pa->vocab, "Use this vocab.txt instead of training one on the corpus");
  pre->add_option("--init", pa->init,
                  "Continue pretraining this BERT directory (its architecture and vocabulary; "
                  "positions beyond its own are initialised by tiling its learned ones)");
  pre->add_option("--vocab-size", pa->vocab_size, "WordPiece vocabulary size to train (profile default)");
  pre->add_option("--epochs", pa->epochs, "Epochs (profile default)");
  pre->add_option("--max-length", pa->max_length, "Tokens per text (profile default)");
  pre->add_option("--batch-size", pa->batch, "Texts per batch (profile default)");
  pre->add_option("--lr", pa->lr, "Peak learning rate (default 5e-4)");
  pre->add_option("--limit", pa->limit, "Use only the first N texts");
  pre->add_option("--seed", pa->seed, "Seed of initialisation, masking and order")->capture_default_str();
  pre->add_flag("-q,--quiet", pa->quiet, "No progress bars");
  pre->add_option("--device", pa->device, "cpu or cuda (bf16 autocast on CUDA)")->capture_default_str();
  add_dist_options(pre, *dargs);
  pre->callback([pa, dargs, &action] {
    action = [pa, dargs] {
      std::string device = pa->device;
      resolve_device(device);  // a bad name or a missing GPU fails before any work
      DistRun dr = start_dist(*dargs, device, pa->quiet);
      if (dr.parent_status) return *dr.parent_status;
      install_stop_handlers();  // USR1/SIGTERM/Ctrl-C: stop after a step, exit 75, resumable
      MlmOptions o;
      std::size_t vocab_size = 4000;
      if (pa->profile == "demo") {
        o.model.hidden_size = 128; o.model.num_hidden_layers = 2; o.model.num_attention_heads = 2;
        o.model.intermediate_size = 512; o.max_length = 128; o.epochs = 3; o.batch_size = 32;
      } else if (pa->profile == "small") {
        o.model.hidden_size = 256; o.model.num_hidden_layers = 4; o.model.num_attention_heads = 4;
        o.model.intermediate_size = 1024; o.max_length = 256; o.epochs = 5; o.batch_size = 32; vocab_size = 8000;
      } else {
        o.max_length = 512; o.epochs = 10; o.batch_size = 32; vocab_size = 30000;
      }
      if (!pa->init.empty()) {
        // Domain-adaptive pretraining: the architecture and vocabulary are the checkpoint's.
        o.model = models::load_bert_config(pa->init);
        if (!file_exists(pa->init + "/vocab.txt")) fail(pa->init + ": no vocab.txt to continue pretraining with");
        if (!pa->vocab.empty()) fail("--init takes the checkpoint's vocabulary; leave out --vocab");
        o.init_dir = pa->init;
      }
      if (pa->vocab_size) vocab_size = pa->vocab_size;
      if (pa->epochs) o.epochs = pa->epochs;
      if (pa->max_length) o.max_length = pa->max_length;
      if (pa->batch) o.batch_size = pa->batch;
      if (pa->lr > 0) o.lr = pa->lr;
      o.seed = pa->seed;
      o.out_dir = pa->out;
      o.progress = !pa->quiet;
      o.comm = dr.comm;
      o.device = device;
      o.model.max_position_embeddings = std::max<int64_t>(
          pa->init.empty() ? 128 : o.model.max_position_embeddings, static_cast<int64_t>(o.max_length));
      std::size_t skipped = 0;
      auto corpus = read_corpus(pa->corpus, pa->limit, skipped);
      auto normalizer = text::TextNormalizer::builtin();
      std::vector<std::string> train_texts, val_texts;
      for (auto& c : corpus) {
        Split sp = assign_split(c.id);
        if (sp == Split::Test) continue;  // never seen, not even for validation
        (sp == Split::Train ? train_texts : val_texts).push_back(normalizer.normalize(c.text));
      }
      std::printf("corpus: %zu texts (%zu without text skipped): %zu train, %zu validation, test split left out\n",
                  corpus.size(), skipped, train_texts.size(), val_texts.size());
      if (train_texts.empty() || val_texts.empty()) fail("the corpus needs texts in both the train and validation splits");
      std::vector<std::string> tokens;
      const std::string existing_vocab = pa->out + "/vocab.txt";
      if (!pa->init.empty()) tokens = text::Vocab::from_file(pa->init + "/vocab.txt").tokens();
      else if (!pa->vocab.empty()) tokens = text::Vocab::from_file(pa->vocab).tokens();
      else if (file_exists(existing_vocab) && file_exists(pa->out + "/trainer_state.json"))
        tokens = text::Vocab::from_file(existing_vocab).tokens();  // resuming: keep the vocabulary
      else {
        text::VocabTrainerOptions vo;
        vo.vocab_size = vocab_size;
        tokens = text::train_wordpiece_vocab(train_texts, vo);
        std::printf("trained a WordPiece vocabulary of %zu tokens on the training texts\n", tokens.size());
      }
      auto vocab = std::make_shared<const text::Vocab>(text::Vocab::from_tokens(tokens));
      text::BertTokenizer tokenizer(vocab);
      auto encode = [&](const std::vector<std::string>& texts) {
        std::vector<std::vector<std::int32_t>> out;
        std::size_t truncated = 0, total = 0;
        for (const auto& t : texts) {
          auto e = tokenizer.encode(t, o.max_length);
          truncated += e.truncated();
          total += e.full_length;
          out.push_back(std::move(e.ids));
        }
        std::printf("  %zu texts, mean %.1f tokens, %.1f%% truncated at %zu\n", texts.size(),
                    texts.empty() ? 0.0 : static_cast<double>(total) / texts.size(),
                    texts.empty() ? 0.0 : 100.0 * truncated / texts.size(), o.max_length);
        return out;
      };
      auto train_ids = encode(train_texts);
      auto val_ids = encode(val_texts);
      std::printf("%-6s %-11s %-9s %-13s %s\n", "epoch", "train loss", "val loss", "val accuracy", "seconds");
      pretrain_mlm(train_ids, val_ids, tokens, o, [](const MlmEpoch& e) {
        std::printf("%-6d %-11.4f %-9.4f %-13.4f %.1f\n", e.epoch, e.train_loss, e.val_loss, e.val_accuracy, e.seconds);
        std::fflush(stdout);
      });
      if (dr.lead) std::ofstream(pa->out + "/cast_text.json") << "{\"normalizer\": \"builtin\", \"max_length\": " << o.max_length << "}\n";
      std::printf("domain LM written to %s (config.json, vocab.txt, model.safetensors)\n", pa->out.c_str());
      return 0;
    };
  });

  struct FinetuneArgs {
    std::string model, task = "log_kvrh", source;
    int epochs = 3;
    std::size_t limit = 0, max_length = 128;
    bool both = false, quiet = false, freeze = false, lora = false;
    std::uint64_t seed = 0;
    std::string pooling = "cls";
    double lr = 0, lr_head = 0;
  };
  auto fa = std::make_shared<FinetuneArgs>();
  auto* ft = lm->add_subcommand("finetune",
      "Fine-tune the text encoder + a linear head on one task's descriptions; --compare also trains the same "
      "architecture from random weights");
  ft->add_option("--model", fa->model, "Encoder checkpoint directory (e.g. from cast lm pretrain)")->required();
  ft->add_option("--task", fa->task, "Task name")->capture_default_str();
  ft->add_option("--source", fa->source, "Dataset file (descriptions are written when it has none)")->required();
  ft->add_option("--epochs", fa->epochs, "Epochs")->capture_default_str();
  ft->add_option("--limit", fa->limit, "First N entries");
  ft->add_option("--max-length", fa->max_length, "Tokens per text")->capture_default_str();
  ft->add_option("--pooling", fa->pooling, "cls | mean: the text vector fed to the head")
      ->check(CLI::IsMember({"cls", "mean"}))->capture_default_str();
  ft->add_flag("--freeze-encoder", fa->freeze, "Train the head only (a linear probe of the encoder's features)");
  ft->add_flag("--lora", fa->lora, "Fine-tune through LoRA adapters on query/value (r 8), as the text models of Table 1 do");
  ft->add_option("--lr", fa->lr, "Peak learning rate of the encoder (default 1e-4; LoRA adapters 1e-3)");
  ft->add_option("--lr-head", fa->lr_head, "Peak learning rate of the linear head (default 1e-3)");
  ft->add_flag("--compare", fa->both, "Also fine-tune a randomly initialised encoder of the same size");
  ft->add_option("--seed", fa->seed, "Seed of the head, the random encoder, dropout and batch order")->capture_default_str();
  ft->add_flag("-q,--quiet", fa->quiet, "No progress bars");
  ft->callback([fa, &action] {
    action = [fa] {
      PrepareOptions po = dataset_options(fa->task, fa->source, fa->limit, fa->quiet, fa->max_length);
      fit_tokens_to_encoder(po, fa->model);
      Dataset d = prepare_dataset(po);
      std::vector<std::vector<std::int32_t>> ids;
      std::vector<double> y;
      std::vector<int> split;
      for (const auto& r : d.records) {
        ids.push_back(r.token_ids);  // [CLS] [SEP] for a structure without text
        y.push_back(r.target);
        split.push_back(static_cast<int>(r.split));
      }
      std::printf("%s: %zu train, %zu val, %zu test texts\n", d.task.c_str(), d.count(Split::Train),
                  d.count(Split::Val), d.count(Split::Test));
      TextRegressionOptions o;
      o.model_dir = fa->model;
      o.epochs = fa->epochs;
      o.max_length = fa->max_length;
      o.progress = !fa->quiet;
      o.mean_pooling = fa->pooling == "mean";
      o.freeze_encoder = fa->freeze;
      o.lora = fa->lora;
      o.seed = fa->seed;
      if (fa->lr > 0) o.lr_encoder = o.lr_lora = fa->lr;
      if (fa->lr_head > 0) o.lr_head = fa->lr_head;
      if (o.lora && o.freeze_encoder) fail("--lora and --freeze-encoder exclude each other");
      auto report = [&](const char* name, const TextRegressionResult& r) {
        std::printf("%-22s test MAE %.4f  val MAE %.4f (best epoch %d)  mean predictor %.4f  %.0f s\n", name,
                    r.test_mae, r.val_mae, r.best_epoch, r.mean_predictor_test_mae, r.seconds);
        std::fflush(stdout);
      };
      auto pre = finetune_text_regression(ids, y, split, o);
      report("pretrained encoder", pre);
      if (fa->both) {
        o.random_init = true;
        auto rnd = finetune_text_regression(ids, y, split, o);
        report("random-init encoder", rnd);
      }
      return 0;
    };
  });

  auto ea = std::make_shared<TextArgs>();
  auto* emb = lm->add_subcommand("embed", "Last hidden states of texts, as safetensors (input_ids, attention_mask, last_hidden_state)");
  emb->add_option("file", ea->input, "JSONL with a 'text' field per line")->required();
  emb->add_option("--model", ea->model, "Hugging Face BERT directory (config.json, vocab.txt, model.safetensors)")->required();
  emb->add_option("--lora", ea->lora, "A LoRA adapter (peft safetensors) to apply");
  emb->add_option("--lora-alpha", ea->lora_alpha,
                  "LoRA alpha (default: from adapter_config.json beside the adapter, else r)");
  emb->add_option("--out", ea->out, "Output .safetensors")->required();
  add_text_options(emb, *ea);
  emb->callback([ea, &action] {
    action = [ea] {
      auto vocab = std::make_shared<const text::Vocab>(text::Vocab::from_file(ea->model + "/vocab.txt"));
      text::BertTokenizer tokenizer(vocab);
      const bool norm = ea->normalize || !ea->normalizer_map.empty();
      auto normalizer = make_normalizer(*ea);
      std::vector<text::Encoding> enc;
      for (const auto& t : read_texts(ea->input)) {
        if (!t.error.empty()) fail(ea->input, ":", t.line, ": ", t.error);
        try {
          enc.push_back(tokenizer.encode(norm ? normalizer.normalize(t.text) : t.text, ea->max_length));
        } catch (const InputError& e) {
          fail(ea->input, ":", t.line, ": ", e.what());
        }
      }
      if (enc.empty()) fail(ea->input, ": no texts");
      models::BertForMaskedLM model{nullptr};
      try {
        model = models::load_bert_checkpoint(ea->model);
        if (!ea->lora.empty()) {
          auto adapter = models::load_safetensors(ea->lora);
          // r and the targets come from the adapter's own tensors.
          int64_t r = 0;
          std::vector<std::string> targets;
          for (const auto& [k, v] : adapter) {
            if (k.find("lora_A") == std::string::npos) continue;
            r = v.size(0);
            for (const char* t : {"query", "key", "value"})
              if (k.find(std::string(".") + t + ".") != std::string::npos &&
                  std::find(targets.begin(), targets.end(), t) == targets.end())
                targets.push_back(t);
          }
          if (r == 0) fail(ea->lora, ": no lora_A tensors in the adapter");
          double alpha = static_cast<double>(r);
          std::ifstream cfg(ea->lora.substr(0, ea->lora.find_last_of('/') + 1) + "adapter_config.json");
          if (ea->lora_alpha > 0) alpha = ea->lora_alpha;
          else if (cfg) {
            auto j = nlohmann::json::parse(cfg, nullptr, false);
            if (!j.is_discarded() && j.contains("lora_alpha")) alpha = j["lora_alpha"].get<double>();
          }
          models::set_text_encoder_mode(model->bert, "lora", r, alpha, 0.0, targets);
          models::load_lora_adapter(*model, adapter, ea->lora);
        }
      } catch (const std::runtime_error& e) {
        throw InputError(e.what());
      }
      model->eval();
      torch::NoGradGuard g;
      auto batch = tokenizer.pad(enc);
      const auto rows = static_cast<int64_t>(batch.rows), cols = static_cast<int64_t>(batch.cols);
      auto ids = torch::from_blob(batch.input_ids.data(), {rows, cols}, torch::kLong).clone();
      auto mask = torch::from_blob(batch.attention_mask.data(), {rows, cols}, torch::kLong).clone();
      std::vector<torch::Tensor> states;
      for (int64_t b = 0; b < rows; b += 16) {
        int64_t e = std::min(rows, b + 16);
        states.push_back(model->bert->forward(ids.slice(0, b, e), mask.slice(0, b, e)).last_hidden_state);
      }
      models::save_safetensors(ea->out, {{"input_ids", ids}, {"attention_mask", mask},
                                         {"last_hidden_state", torch::cat(states, 0)}});
      std::printf("%lld texts, %lld tokens padded, hidden %lld -> %s\n", static_cast<long long>(rows),
                  static_cast<long long>(cols), static_cast<long long>(model->bert->config.hidden_size), ea->out.c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
