#include "common/json/reader.hpp"

#include <algorithm>

#include "common/json/path.hpp"

namespace ward::json {

namespace detail {

std::string describe_value(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return v.get<bool>() ? "boolean true" : "boolean false";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer " + v.dump();
    case nlohmann::json::value_t::number_float:
      return "number " + v.dump();
    case nlohmann::json::value_t::string:
      return "string " + quote(v.get_ref<const std::string&>(), 32);
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    default:
      return "a non-JSON value";
  }
}

}  // namespace detail

ObjectReader::ObjectReader(const nlohmann::json& j, std::string path)
    : ObjectReader(std::make_shared<detail::ReadState>(), nullptr, std::move(path)) {
  if (j.is_object()) {
    frame_->object = &j;
  } else {
    record(frame_->path + ": expected an object, got " + detail::describe_value(j));
  }
}

ObjectReader::ObjectReader(std::shared_ptr<detail::ReadState> state, const nlohmann::json* object,
                           std::string path)
    : state_(std::move(state)), frame_(std::make_shared<detail::Frame>()) {
  frame_->object = object;
  frame_->path = std::move(path);
  state_->frames.push_back(frame_);
}

void ObjectReader::allow(std::string_view key) {
  auto& known = frame_->known;
  if (std::find(known.begin(), known.end(), key) == known.end()) known.emplace_back(key);
}

bool ObjectReader::has(std::string_view key) {
  allow(key);
  return frame_->object != nullptr && frame_->object->contains(key);
}

const nlohmann::json* ObjectReader::field(std::string_view key, bool required) {
  allow(key);
  if (frame_->object == nullptr) return nullptr;
  auto it = frame_->object->find(key);
  if (it == frame_->object->end()) {
    if (required) fail(key, "missing required field");
    return nullptr;
  }
  return &*it;
}

void ObjectReader::fail(std::string_view key, std::string_view message) {
  std::string msg = path_key(frame_->path, key);
  msg += ": ";
  msg += message;
  record(std::move(msg));
}

std::string ObjectReader::required_string(std::string_view key, std::size_t max_bytes) {
  auto v = optional_string_impl(key, max_bytes, true);
  return v ? std::move(*v) : std::string();
}

std::optional<std::string> ObjectReader::optional_string(std::string_view key,
                                                         std::size_t max_bytes) {
  return optional_string_impl(key, max_bytes, false);
}

std::optional<std::string> ObjectReader::optional_string_impl(std::string_view key,
                                                              std::size_t max_bytes,
                                                              bool required) {
  const nlohmann::json* v = field(key, required);
  if (v == nullptr) return std::nullopt;
  auto s = take(key, detail::decode<std::string>(*v));
  if (s && s->size() > max_bytes) {
    // The value itself is not echoed: it may be long, or a secret.
    fail(key, "expected a string of at most " + std::to_string(max_bytes) + " bytes, got " +
                  std::to_string(s->size()) + " bytes");
    return std::nullopt;
  }
  return s;
}

ObjectReader ObjectReader::child(std::string_view key) {
  const nlohmann::json* v = field(key, true);
  std::string p = path_key(frame_->path, key);
  if (v != nullptr && !v->is_object()) {
    fail(key, "expected an object, got " + detail::describe_value(*v));
    v = nullptr;
  }
  return ObjectReader(state_, v, std::move(p));
}

std::optional<ObjectReader> ObjectReader::optional_child(std::string_view key) {
  const nlohmann::json* v = field(key, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    fail(key, "expected an object, got " + detail::describe_value(*v));
    return std::nullopt;
  }
  return ObjectReader(state_, v, path_key(frame_->path, key));
}

ArrayReader ObjectReader::array(std::string_view key, std::size_t max_items) {
  return array_impl(key, max_items, true);
}

ArrayReader ObjectReader::optional_array(std::string_view key, std::size_t max_items) {
  return array_impl(key, max_items, false);
}

ArrayReader ObjectReader::array_impl(std::string_view key, std::size_t max_items, bool required) {
  const nlohmann::json* v = field(key, required);
  std::string p = path_key(frame_->path, key);
  if (v != nullptr && !v->is_array()) {
    fail(key, "expected an array, got " + detail::describe_value(*v));
    v = nullptr;
  }
  if (v != nullptr && v->size() > max_items) {
    fail(key, "expected an array of at most " + std::to_string(max_items) + " elements, got " +
                  std::to_string(v->size()));
    v = nullptr;
  }
  return ArrayReader(*this, v, std::move(p));
}

Status ObjectReader::finish() {
  for (const auto& frame : state_->frames) {
    if (frame->checked || frame->object == nullptr) continue;
    frame->checked = true;
    for (const auto& [key, value] : frame->object->items()) {
      const auto& known = frame->known;
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string msg = path_key(frame->path, key) + ": unknown field; ";
      if (known.empty()) {
        msg += "expected no fields here";
      } else {
        msg += "expected one of ";
        for (std::size_t i = 0; i < known.size(); ++i) {
          if (i > 0) msg += ", ";
          msg += known[i];
        }
      }
      record(std::move(msg));
    }
  }
  const auto& errors = state_->errors;
  if (errors.empty()) return ok();
  std::string msg = errors.front();
  if (errors.size() > 1) {
    const std::size_t more = errors.size() - 1;
    msg += " (and " + std::to_string(more) + (more == 1 ? " more error)" : " more errors)");
  }
  return Error::invalid_argument(std::move(msg));
}

ObjectReader ArrayReader::object(std::size_t i) {
  const nlohmann::json& v = (*array_)[i];
  std::string p = path_index_of(i);
  if (!v.is_object()) {
    owner_.record(p + ": expected an object, got " + detail::describe_value(v));
    return ObjectReader(owner_.state_, nullptr, std::move(p));
  }
  return ObjectReader(owner_.state_, &v, std::move(p));
}

std::vector<ObjectReader> ArrayReader::objects() {
  std::vector<ObjectReader> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back(object(i));
  return out;
}

std::string ArrayReader::path_index_of(std::size_t i) const {
  return path_index(path_, i);
}

}  // namespace ward::json
