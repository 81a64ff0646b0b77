// The bash completion script (self_doc.h), generated from the command and
// key tables at each call.

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "provisioner/app/command_table.h"
#include "provisioner/app/config_keys.h"
#include "provisioner/app/self_doc.h"

namespace prov::app {

namespace {

// The top-level alternatives of a command's arguments: "create|list|revoke
// [ID|NAME]" -> "create", "list", "revoke [ID|NAME]" (bars inside brackets
// are an argument's own).
std::vector<std::string> alternatives(std::string_view args) {
    std::vector<std::string> out(1);
    int depth = 0;
    for (char c : args) {
        if (c == '[') ++depth;
        if (c == ']') --depth;
        if (c == '|' && depth == 0) {
            out.emplace_back();
            continue;
        }
        out.back() += c;
    }
    return out;
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool isSubcommand(const std::string& w) {
    return !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos;
}

// A command's words as completion sees them: the subcommands after it (by
// the words before: "" for the command itself, "rollout" for firmware
// rollout) and whether FILE is one of its arguments.
struct Grammar {
    std::vector<std::pair<std::string, std::set<std::string>>> subs;  // ordered by path
    bool files = false;
};

Grammar grammar(const Command& c) {
    Grammar g;
    auto add = [&](const std::string& path, const std::string& word) {
        for (auto& [p, set] : g.subs) {
            if (p == path) {
                set.insert(word);
                return;
            }
        }
        g.subs.push_back({path, {word}});
    };
    for (const std::string& alt : alternatives(c.args)) {
        std::string path;
        for (const std::string& w : words(alt)) {
            if (w.find("FILE") != std::string::npos) g.files = true;
            if (!isSubcommand(w)) break;
            add(path, w);
            path += (path.empty() ? "" : " ") + w;
        }
    }
    return g;
}

std::string joined(const std::set<std::string>& s) {
    std::string out;
    for (const std::string& w : s) out += (out.empty() ? "" : " ") + w;
    return out;
}

void bashTable(std::ostream& out) {
    out << "# _provisioner_words PATH: sets subs, flags and files for a command (\"token\") or one "
           "of its\n"
           "# subcommands (\"firmware rollout\").\n"
           "_provisioner_words() {\n"
           "    subs='' flags='--help' files=0\n"
           "    case $1 in\n";
    for (const Command& c : commands()) {
        const Grammar g = grammar(c);
        std::string flags = "--help";
        for (const Flag& f : c.flags) flags += " --" + std::string(f.name);
        for (const auto& [path, set] : g.subs) {
            const std::string key = std::string(c.name) + (path.empty() ? "" : " " + path);
            out << "        '" << key << "') subs='" << joined(set) << "' flags='" << flags
                << "' files=" << (g.files ? 1 : 0) << " ;;\n";
        }
        if (g.subs.empty() || !g.subs.front().first.empty())
            out << "        '" << c.name << "') flags='" << flags << "' files=" << (g.files ? 1 : 0)
                << " ;;\n";
    }
    out << "        *) return 1 ;;\n"
           "    esac\n"
           "}\n\n";
}

std::string bashLists() {
    std::string names, value_flags, file_flags, keys, choices;
    for (const Command& c : commands()) {
        names += (names.empty() ? "" : " ") + std::string(c.name);
        for (const Flag& f : c.flags) {
            if (f.value.empty()) continue;
            const std::string flag = "--" + std::string(f.name);
            if (value_flags.find(flag + "|") == std::string::npos) value_flags += flag + "|";
            if (f.value == "FILE" && file_flags.find(flag + "|") == std::string::npos)
                file_flags += flag + "|";
        }
    }
    for (const ConfigKey& k : configKeys()) {
        keys += (keys.empty() ? "" : " ") + std::string(k.name) + "=";
        std::string values;
        if (k.type == KeyType::kBool) values = "true false";
        if (k.type == KeyType::kChoice) {
            values = std::string(k.choices);
            for (char& ch : values) ch = ch == ',' ? ' ' : ch;
        }
        if (k.type == KeyType::kPath) values = "@files";
        if (!values.empty())
            choices += "        " + std::string(k.name) + ") values='" + values + "' ;;\n";
    }
    if (!value_flags.empty()) value_flags.pop_back();  // the last '|'
    if (!file_flags.empty()) file_flags.pop_back();
    return "_provisioner_commands='" + names + "'\n_provisioner_keys='" + keys +
           "'\n# _provisioner_values KEY: sets values, what a key takes ('@files': a path).\n"
           "_provisioner_values() {\n    values=''\n    case $1 in\n" +
           choices + "    esac\n}\n_provisioner_value_flags='" + value_flags +
           "'\n_provisioner_file_flags='" + file_flags + "'\n\n";
}

const char* const kBashMain = R"(_provisioner() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' subs flags files values
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    # -D KEY=VALUE: bash splits the word at '=' (COMP_WORDBREAKS).
    if [[ $prev == '=' && $COMP_CWORD -ge 3 && ${COMP_WORDS[COMP_CWORD - 3]} =~ ^(-D|--define)$ ]]; then
        _provisioner_values "${COMP_WORDS[COMP_CWORD - 2]}"
        if [[ $values == @files ]]; then
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
        fi
        return
    fi
    if [[ $cur == '=' && $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD - 2]} =~ ^(-D|--define)$ ]]; then
        _provisioner_values "$prev"
        [[ $values == @files ]] && values=''
        COMPREPLY=($values)
        return
    fi
    case $prev in
        -c | --config) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        -D | --define)
            compopt -o nospace 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -W "$_provisioner_keys" -- "$cur")
            return ;;
    esac
    if [[ $prev == -* && "|$_provisioner_value_flags|" == *"|$prev|"* ]]; then
        [[ "|$_provisioner_file_flags|" == *"|$prev|"* ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
    fi
    # The command and its subcommands so far: the words that are neither
    # options nor their values.
    local i w path='' args=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -c | --config) ((i++)); continue ;;
            # -D KEY = VALUE, as bash splits it; -DKEY=VALUE is one word (and '=' more).
            -D | --define) ((i++)); [[ ${COMP_WORDS[i + 1]} == = ]] && ((i += 2)); continue ;;
            -D*) [[ ${COMP_WORDS[i + 1]} == = ]] && ((i += 2)); continue ;;
            -*)
                if [[ "|$_provisioner_value_flags|" == *"|$w|"* ]]; then
                    ((i++))
                    [[ ${COMP_WORDS[i]} == = ]] && ((i++))
                fi
                continue ;;
        esac
        if [[ -z $path ]]; then
            path=$w
        elif ((args == 0)) && _provisioner_words "$path $w"; then
            path+=" $w"
        else
            ((args++))
        fi
    done
    if [[ -z $path ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_provisioner_commands --help --version -c -D" -- "$cur")
        return
    fi
    if [[ $path == help ]]; then
        ((args == 0)) && mapfile -t COMPREPLY < <(compgen -W "$_provisioner_commands" -- "$cur")
        return
    fi
    _provisioner_words "$path"
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$flags -c -D" -- "$cur")
    elif [[ -n $subs ]] && ((args == 0)); then
        mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
    elif ((files)); then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}
complete -o filenames -F _provisioner provisioner
)";

}  // namespace

std::string bashCompletion() {
    std::ostringstream out;
    out << "# bash completion for provisioner, generated by 'provisioner completion bash' ("
        << versionLine() << ")\n# from the command and key tables; do not edit.\n\n";
    out << bashLists();
    bashTable(out);
    out << kBashMain;
    return out.str();
}

}  // namespace prov::app
