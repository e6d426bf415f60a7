// cast describe FILE... [--style mp|ascii] [--json]: Robocrystallographer-style descriptions.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/progress.hpp"
#include "crystal/readers.hpp"
#include "text/describer.hpp"
#include "text/description_check.hpp"
#include "text/wordpiece.hpp"
#include <algorithm>

namespace cast::cli {

namespace {
struct DescribeArgs {
  std::vector<std::string> files;
  std::string style = "mp";
  bool json = false, no_oxidation = false, quiet = false, check = false, no_minerals = false, diff = false;
  double time_limit = 60;
  std::string vocab;
  std::size_t limit = 0;
  unsigned threads = 0;
};
}  // namespace

void register_describe(CLI::App& app, Action& action) {
  auto a = std::make_shared<DescribeArgs>();
  auto* cmd = app.add_subcommand("describe", "Text descriptions of structures (a C++ Robocrystallographer)");
  cmd->add_option("files", a->files, "CIF, POSCAR, pymatgen JSON, MP .jsonl[.gz], MatBench .json.gz, CIF folder")->required();
  cmd->add_option("--style", a->style, "mp: as the Materials Project serves (Li₂O, Li¹⁺, P̅3); ascii: robocrys default (Li(1), P-3)")
      ->check(CLI::IsMember({"mp", "ascii"}))->capture_default_str();
  cmd->add_flag("--json", a->json, "One {\"material_id\", \"description\"} (or \"error\") object a line");
  cmd->add_flag("--no-oxidation", a->no_oxidation, "Do not guess oxidation states");
  cmd->add_flag("--no-minerals", a->no_minerals, "Leave out mineral names (AFLOW prototype matching)");
  cmd->add_option("--time-limit", a->time_limit, "Seconds per structure before it is given up with a reason (0: none)")
      ->capture_default_str();
  cmd->add_option("--limit", a->limit, "First N entries of each file");
  cmd->add_option("--threads", a->threads, "Worker threads (0 = all cores)");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar");
  cmd->add_flag("--check", a->check,
                "Compare with each entry's own 'description' (e.g. Materials Project texts) fact by fact and print the rates");
  cmd->add_flag("--diff", a->diff,
                "With --check: print, per text that differs from its reference, the first differing sentence (reference, then ours)");
  cmd->add_option("--vocab", a->vocab, "With --check: a vocab.txt to compare token counts (ours / reference)");
  cmd->callback([a, &action] {
    action = [a] {
      text::DescriberOptions o;
      o.style = a->style == "mp" ? text::DescriptionStyle::Mp : text::DescriptionStyle::Ascii;
      o.oxidation_states = !a->no_oxidation;
      o.minerals = !a->no_minerals;
      o.time_limit_s = a->time_limit;
      std::size_t total = 0, failed = 0;
      text::FactScores scores;
      text::TextScores words;
      std::vector<double> token_ratio;
      std::unique_ptr<text::BertTokenizer> tokenizer;
      if (!a->vocab.empty())
        tokenizer = std::make_unique<text::BertTokenizer>(std::make_shared<const text::Vocab>(text::Vocab::from_file(a->vocab)));
      std::size_t compared = 0;
      for (const auto& f : a->files) {
        ReadOptions ro;
        ro.limit = a->limit;
        ro.threads = a->threads;
        auto entries = read_entries(f, ro);
        std::vector<text::Description> out(entries.size());
        Progress prog("describe", entries.size(), !a->quiet && entries.size() > 50);
        parallel_for(entries.size(), a->threads, [&](std::size_t i) {
          if (!entries[i].ok) { out[i].reason = entries[i].error; return; }
          out[i] = text::describe_structure(entries[i].structure, o);
        }, &prog);
        for (std::size_t i = 0; i < entries.size(); ++i) {
          ++total;
          if (!out[i].ok) {
            ++failed;
            if (!a->json) std::fprintf(stderr, "ERROR: %s: entry '%s': %s\n", entries[i].where.c_str(), entries[i].id.c_str(), out[i].reason.c_str());
          }
          auto ref = entries[i].texts.find("description");
          if (a->check && out[i].ok && ref != entries[i].texts.end()) {
            scores.add(text::extract_facts(out[i].text), text::extract_facts(ref->second));
            const auto first = words.add(out[i].text, ref->second);
            if (a->diff && !(first.first.empty() && first.second.empty()))
              std::printf("%s [%s]\n  served: %s\n  ours:   %s\n", entries[i].id.c_str(),
                          text::sentence_kind(first.first.empty() ? first.second : first.first).c_str(),
                          first.first.c_str(), first.second.c_str());
            ++compared;
            if (tokenizer) {
              double ours = static_cast<double>(tokenizer->encode(out[i].text, 0).ids.size());
              double theirs = static_cast<double>(tokenizer->encode(ref->second, 0).ids.size());
              token_ratio.push_back(ours / theirs);
            }
            continue;
          }
          if (a->check) continue;
          if (a->json) {
            nlohmann::json j = {{"material_id", entries[i].id}};
            if (out[i].ok) j["description"] = out[i].text;
            else j["error"] = out[i].reason;
            std::printf("%s\n", j.dump().c_str());
          } else if (out[i].ok) {
            std::printf("%s\n%s\n\n", entries[i].id.c_str(), out[i].text.c_str());
          }
        }
      }
      if (a->check) {
        std::printf("compared %zu descriptions with the reference texts\n", compared);
        for (const auto& [k, v] : scores.counts)
          std::printf("  %-28s %6.1f%%  (%.0f / %.0f)\n", k.c_str(), 100.0 * scores.rate(k), v.first, v.second);
        std::printf("  %-28s %6.1f%%  (%zu / %zu)\n", "identical texts", 100.0 * words.identical_rate(), words.identical,
                    words.texts);
        std::size_t hit = 0, tot = 0;
        for (const auto& [k, v] : words.sentences) { hit += v.first; tot += v.second; }
        std::printf("  %-28s %6.1f%%  (%zu / %zu)\n", "served sentences verbatim", 100.0 * words.verbatim_rate(), hit, tot);
        for (const auto& [k, v] : words.sentences)
          std::printf("    %-26s %6.1f%%  (%zu / %zu)\n", k.c_str(), v.second ? 100.0 * v.first / v.second : 0.0, v.first, v.second);
        if (!token_ratio.empty()) {
          std::sort(token_ratio.begin(), token_ratio.end());
          std::printf("  %-28s %6.3f  (median of ours / reference, %zu texts)\n", "token count ratio",
                      token_ratio[token_ratio.size() / 2], token_ratio.size());
        }
      }
      std::fprintf(stderr, "described %zu of %zu structures (%zu failed, %.2f%%)\n", total - failed, total, failed,
                   total ? 100.0 * failed / total : 0.0);
      return failed == total && total > 0 ? 1 : 0;
    };
  });
}

}  // namespace cast::cli
