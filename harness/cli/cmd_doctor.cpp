// cast doctor: versions, devices, the BLAS LibTorch runs on, threads, data and model paths.
#include <spglib.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli/commands.hpp"
#include "cli/torch_info.hpp"
#include "common/file_io.hpp"

namespace cast::cli {

void register_doctor(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("doctor", "Check the installation: LibTorch, devices, BLAS, threads, data");
  cmd->callback([&action] {
    action = [] {
      int problems = 0;
      std::printf("cast %s\n", CAST_VERSION);
      TorchInfo t = torch_info();
      std::printf("LibTorch        %s\n", t.version.c_str());
      std::printf("CUDA devices    %d\n", t.cuda_devices);
      std::printf("torch threads   %d (hardware %u)\n", t.threads, std::thread::hardware_concurrency());
      std::printf("BLAS            %s\n", t.blas_library.empty() ? "(none found in process maps)" : t.blas_library.c_str());
      std::printf("matmul 512^2    %.1f GFLOP/s\n", t.gemm_gflops);
      if (t.reference_blas) {
        ++problems;
        std::printf(
            "\n  !!! WARNING: LibTorch is running on the REFERENCE BLAS, about 10x slower on CPU.\n"
            "  !!! Install libopenblas0-pthread and select it:\n"
            "  !!!   sudo apt-get install libopenblas0-pthread\n"
            "  !!!   sudo update-alternatives --config libblas.so.3-x86_64-linux-gnu\n\n");
      }
      std::printf("spglib          %d.%d.%d\n", spg_get_major_version(), spg_get_minor_version(),
                  spg_get_micro_version());
      std::string origin;
      std::string data = find_data_dir(&origin);
      std::printf("data folder     %s%s\n", data.empty() ? "(not found; set CAST_DATA_DIR or pass --source)" : data.c_str(),
                  data.empty() ? "" : ("  (" + origin + ")").c_str());
      if (!data.empty()) {
        for (const char* f : {"matbench/matbench_log_gvrh.subset.json.gz", "matbench/matbench_log_kvrh.subset.json.gz",
                              "mp/mp_legacy_36737.jsonl.gz", "mp/mp_summary_elastic_3202.jsonl.gz",
                              "mp/elastic_tensor_2015.json.gz", "text/mp_robocrys_li_oxides.dev.jsonl.gz"})
          std::printf("  %-48s %s\n", f, file_exists(data + "/" + f) ? "found" : "missing");
      }
      const char* prototypes = "/usr/lib/python3/dist-packages/pymatgen/analysis/aflow_prototypes.json";
      std::printf("AFLOW prototypes %s\n", file_exists(prototypes) ? prototypes : "(missing: install python3-pymatgen)");
      const char* enc = std::getenv("CAST_TEXT_ENCODER");
      if (enc) {
        std::printf("text encoder    %s (CAST_TEXT_ENCODER)%s\n", enc,
                    file_exists(std::string(enc) + "/config.json") ? "" : "  MISSING: no config.json there");
      } else {
        std::string found;
        for (const char* d : {"results/lm/demo", "results/lm/small", "results/lm/paper"})
          if (file_exists(std::string(d) + "/config.json")) found += std::string(found.empty() ? "" : ", ") + d;
        std::printf("text encoder    %s\n", found.empty()
                                               ? "none yet: pass --text-encoder DIR (MatSciBERT), or pretrain a domain LM "
                                                 "('cast reproduce' does; or cast lm pretrain --corpus C --out results/lm/demo)"
                                               : (found + " (pretrained domain LMs; --text-encoder DIR for MatSciBERT)").c_str());
      }
      std::printf("cache folder    %s\n", default_cache_dir().c_str());
      std::printf("%s\n", problems ? "doctor: problems found (see above)" : "doctor: all good");
      return problems ? 1 : 0;
    };
  });
}

}  // namespace cast::cli
