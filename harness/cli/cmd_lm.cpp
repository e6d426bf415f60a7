// cast lm tokenize | embed: check tokenisation against other tools and export text embeddings.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "models/bert.hpp"
#include "models/safetensors.hpp"
#include "text/normalizer.hpp"
#include "text/wordpiece.hpp"

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
