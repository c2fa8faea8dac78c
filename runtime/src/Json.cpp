//===- Json.cpp - strict JSON parsing for the readers ---------------------===//
//
// This file implements parseJson on nlohmann::json's parser callback, which
// sees every key as it is parsed: the parsed value itself keeps only the
// last of two equal keys.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <set>
#include <vector>

namespace tprt {

using nlohmann::json;

/// The reason of a JSON exception without its "[json.exception...] " tag.
static std::string jsonReason(const json::exception &e) {
  std::string what = e.what();
  size_t tagEnd = what.find("] ");
  return tagEnd == std::string::npos ? what : what.substr(tagEnd + 2);
}

std::string parseJson(const char *text, size_t textBytes, json &value) {
  // The keys seen so far in each object being parsed, and the last of them.
  struct OpenObject {
    std::set<std::string> keys;
    std::string lastKey;
  };
  std::vector<OpenObject> objects;
  std::string duplicate;
  auto noteKeys = [&](int, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::object_start) {
      objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      objects.pop_back();
    } else if (event == json::parse_event_t::key) {
      OpenObject &object = objects.back();
      object.lastKey = parsed.get<std::string>();
      if (!object.keys.insert(object.lastKey).second && duplicate.empty())
        duplicate = "key '" + object.lastKey + "' appears twice" +
                    (objects.size() > 1
                         ? " in '" + objects[objects.size() - 2].lastKey + "'"
                         : "");
    }
    return true;
  };
  try {
    value = json::parse(text, text + textBytes, noteKeys);
  } catch (const json::exception &e) {
    return jsonReason(e);
  }
  return duplicate;
}

} // namespace tprt
