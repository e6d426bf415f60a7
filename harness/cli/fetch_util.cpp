#include "cli/fetch_util.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "common/log.hpp"

namespace cast::cli {

namespace {
std::string hex_of(const unsigned char* md, unsigned n) {
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}
void curl_init_once() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}
}  // namespace

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open (", std::strerror(errno), ")");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  return hex_of(md, n);
}

std::string sha256_bytes(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  return hex_of(md, n);
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail(from, ": cannot open (", std::strerror(errno), ")");
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) fail(to, ": cannot write (", std::strerror(errno), ")");
  out << in.rdbuf();
  if (!out) fail(to, ": write failed");
}

namespace {
struct Download {
  FILE* f = nullptr;
  Progress* prog = nullptr;
};
std::size_t on_data(char* p, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  return std::fwrite(p, size, n, d->f) * size;
}
int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* d = static_cast<Download*>(user);
  if (d->prog && total > 0) {
    d->prog->set_total(static_cast<std::size_t>(total));
    d->prog->set(static_cast<std::size_t>(now));
    d->prog->draw();
  }
  return 0;
}
}  // namespace

void download(const std::string& url, const std::string& part, int tries) {
  curl_init_once();
  std::string last_error;
  for (int attempt = 1; attempt <= tries; ++attempt) {
    const long have = file_exists(part) ? static_cast<long>(std::ifstream(part, std::ios::binary | std::ios::ate).tellg()) : 0;
    Download d;
    d.f = std::fopen(part.c_str(), "ab");
    if (!d.f) fail(part, ": cannot write (", std::strerror(errno), ")");
    Progress prog("download " + url.substr(url.find_last_of('/') + 1), 0, true);
    d.prog = &prog;
    CURL* c = curl_easy_init();
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    std::fclose(d.f);
    prog.finish();
    if (rc == CURLE_OK) return;
    if (rc == CURLE_RANGE_ERROR || status == 416) std::remove(part.c_str());  // server cannot resume: start over
    last_error = err[0] ? err : curl_easy_strerror(rc);
    spdlog::warn("download attempt {}/{} failed: {}", attempt, tries, last_error);
    if (attempt < tries) std::this_thread::sleep_for(std::chrono::seconds(2 * attempt));
  }
  fail(url, ": download failed after ", tries, " attempts (", last_error,
       "); the partial file is kept and the next run resumes it. Offline? Use --mirror DIR or --from FILE");
}

namespace {
std::size_t on_body(char* p, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}
std::size_t on_header(char* p, std::size_t size, std::size_t n, void* user) {
  auto* h = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (line.rfind("HTTP/", 0) == 0) h->clear();  // a new response (after a redirect)
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon), v = line.substr(colon + 1);
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    (*h)[k] = v;
  }
  return size * n;
}
}  // namespace

HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers, long timeout_s, bool head) {
  curl_init_once();
  HttpResponse r;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = "";
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, head ? 0L : 1L);
  if (head) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate as the server likes
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "cast-data-fetch/1 (libcurl)");
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    r.curl_error = err[0] ? err : curl_easy_strerror(rc);
    r.network_error = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
                      rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && r.status == 0);
  }
  return r;
}

std::string url_escape(const std::string& s) {
  std::string out;
  char b[4];
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',') {
      out += static_cast<char>(ch);
    } else {
      std::snprintf(b, sizeof b, "%%%02X", ch);
      out += b;
    }
  }
  return out;
}

std::string gzip_bytes(const std::string& bytes) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0, no name, OS unix.
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("zlib: deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&z, bytes.size()) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t n = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) fail("zlib: deflate did not finish (", rc, ")");
  out.resize(n);
  return out;
}

void gzip_file(const std::string& in_path, const std::string& out_path) {
  std::ifstream in(in_path, std::ios::binary);
  if (!in) fail(in_path, ": cannot open (", std::strerror(errno), ")");
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) fail(out_path, ": cannot write (", std::strerror(errno), ")");
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("zlib: deflateInit2 failed");
  std::vector<char> ibuf(1 << 20), obuf(1 << 20);
  int flush = Z_NO_FLUSH;
  do {
    in.read(ibuf.data(), static_cast<std::streamsize>(ibuf.size()));
    z.next_in = reinterpret_cast<Bytef*>(ibuf.data());
    z.avail_in = static_cast<uInt>(in.gcount());
    flush = in ? Z_NO_FLUSH : Z_FINISH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(obuf.data());
      z.avail_out = static_cast<uInt>(obuf.size());
      deflate(&z, flush);
      out.write(obuf.data(), static_cast<std::streamsize>(obuf.size() - z.avail_out));
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  if (!out) fail(out_path, ": write failed");
}

}  // namespace cast::cli
