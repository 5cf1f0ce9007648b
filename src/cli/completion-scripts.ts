/**
 * The completion scripts `meshctl completion <shell>` prints. Each passes the words before the
 * cursor to `meshctl __complete -- WORD... CURRENT` and turns its answer (lines of
 * `value<Tab>description`, then `:files,nospace`-style directives) into the shell's candidates.
 */
import type { CompletionShell } from './completion-impl.js';

/**
 * Returns a template's raw text with every `$\{` turned into `${`: the scripts are written as they
 * are shipped, except that a shell's `${...}` must not open a JavaScript substitution.
 */
function script(strings: TemplateStringsArray): string {
  return strings.raw.join('').replaceAll('$\\{', '${');
}

const BASH = script`# bash completion for meshctl
#
# In the current shell:  source <(meshctl completion bash)
# In every new shell:    add that line to ~/.bashrc, or save the script where bash-completion looks:
#                        meshctl completion bash > ~/.local/share/bash-completion/completions/meshctl
#
# The candidates come from "meshctl __complete", which knows the commands and flags of the meshctl
# on your PATH. The script uses only bash's complete, compgen and compopt: bash-completion is not
# needed.

__meshctl_complete() {
    local line=$\{COMP_LINE:0:COMP_POINT}
    local -a words
    # Split at blanks only: COMP_WORDS is also split at COMP_WORDBREAKS ("=" and ":"), which
    # would cut "--set profile=demo" or "--context=arn:aws:eks:..." into pieces.
    read -r -a words <<< "$line"
    case $line in *[[:space:]]) words+=("") ;; esac
    [ "$\{#words[@]}" -ge 2 ] || return 0
    local cur=$\{words[$\{#words[@]}-1]}

    local answer
    answer=$(meshctl __complete -- "$\{words[@]:1}" 2>/dev/null) || return 0
    local directive=$\{answer##*$'\n'}
    local entries=""
    case $answer in *$'\n'*) entries=$\{answer%$'\n'*} ;; esac
    case $directive in :*) ;; *) return 0 ;; esac

    # bash replaces only the text after the word's last COMP_WORDBREAKS character, so that much of
    # each candidate is dropped ("profile=" of "profile=demo").
    local keep="" i
    for (( i = $\{#cur} - 1; i >= 0; i-- )); do
        case $COMP_WORDBREAKS in *"$\{cur:i:1}"*) keep=$\{cur:0:i+1}; break ;; esac
    done

    COMPREPLY=()
    local entry value
    while IFS= read -r entry; do
        value=$\{entry%%$'\t'*}
        [ -n "$value" ] || continue
        case $value in "$cur"*) COMPREPLY+=("$\{value#"$keep"}") ;; esac
    done <<< "$entries"

    case $directive in
    *files*)
        local target=$cur file
        case $cur in --*=*) target=$\{cur#*=} ;; esac
        compopt -o filenames 2>/dev/null
        while IFS= read -r file; do
            [ -n "$file" ] && COMPREPLY+=("$file")
        done < <(compgen -f -- "$target")
        ;;
    esac
    case $directive in *nospace*) compopt -o nospace 2>/dev/null ;; esac
    return 0
}

complete -F __meshctl_complete meshctl
`;

const ZSH = script`#compdef meshctl
# zsh completion for meshctl
#
# As a completion function: save it as _meshctl in a directory on $fpath, before compinit runs:
#     mkdir -p ~/.zsh/completions
#     meshctl completion zsh > ~/.zsh/completions/_meshctl
#     # in ~/.zshrc, before "autoload -U compinit && compinit":  fpath=(~/.zsh/completions $fpath)
# Or in the current shell, after compinit:  source <(meshctl completion zsh)
#
# The candidates come from "meshctl __complete", which knows the commands and flags of the meshctl
# on your PATH.

_meshctl() {
    # No "emulate -L zsh" here: it would take away the options compinit sets up for _files.
    local -a args entries values shown suffix
    local answer directive entry value described=0 ret=1
    # The words up to the cursor without their shell quoting; the last is the word being completed.
    args=("$\{(@Q)words[2,CURRENT]}")
    answer=$(meshctl __complete -- "$\{args[@]}" 2>/dev/null) || return 1
    entries=("$\{(@f)answer}")
    directive=$\{entries[-1]}
    entries[-1]=()
    [[ $directive == :* ]] || return 1
    for entry in "$\{entries[@]}"; do
        value=$\{entry%%$'\t'*}
        [[ -n $value ]] || continue
        values+=("$value")
        if [[ $entry == *$'\t'* ]]; then
            shown+=("$value  -- $\{entry#*$'\t'}")
            described=1
        else
            shown+=("$value")
        fi
    done
    [[ $directive == *nospace* ]] && suffix=(-S '')
    if (( $\{#values} )); then
        if (( described )); then
            compadd -l -d shown "$\{suffix[@]}" -a values && ret=0
        else
            compadd "$\{suffix[@]}" -a values && ret=0
        fi
    fi
    if [[ $directive == *files* ]]; then
        [[ $PREFIX == --*=* ]] && compset -P '*='
        _files && ret=0
    fi
    return ret
}

if [[ $\{funcstack[1]-} == _meshctl ]]; then
    # Autoloaded from $fpath: this file is the body of _meshctl; run the function it has just defined.
    _meshctl "$@"
elif (( $\{+functions[compdef]} )); then
    compdef _meshctl meshctl
else
    print -u2 'meshctl completion: load it after "autoload -U compinit && compinit"'
fi
`;

const FISH = script`# fish completion for meshctl
#
# In every new shell:    meshctl completion fish > ~/.config/fish/completions/meshctl.fish
# In the current shell:  meshctl completion fish | source
#
# The candidates come from "meshctl __complete", which knows the commands and flags of the meshctl
# on your PATH.

function __meshctl_complete
    command -q meshctl; or return
    # The words before the cursor (unquoted) without "meshctl", then the word being completed.
    set -l args (commandline -opc)
    set -e args[1]
    set -l current (commandline -ct)
    set -l answer (meshctl __complete -- $args "$current" 2>/dev/null); or return
    set -q answer[1]; or return
    set -l directive $answer[-1]
    set -e answer[-1]
    string match -q -- ':*' $directive; or return
    # "value<Tab>description" is fish's own format.
    for entry in $answer
        test -n "$entry"; and printf '%s\n' $entry
    end
    if string match -q -- '*files*' $directive
        set -l prefix (string match -r -- '^--[^=]*=' "$current")
        set -l target (string replace -r -- '^--[^=]*=' '' "$current")
        for path in (__fish_complete_path "$target")
            printf '%s%s\n' "$prefix" $path
        end
    end
end

complete -c meshctl -e
complete -c meshctl -f -a '(__meshctl_complete)'
`;

const POWERSHELL = script`# PowerShell completion for meshctl
#
# In the current session:  meshctl completion powershell | Out-String | Invoke-Expression
# In every new session:    add that line to your profile ($PROFILE).
#
# The candidates come from "meshctl __complete", which knows the commands and flags of the meshctl
# on your PATH.

Register-ArgumentCompleter -Native -CommandName 'meshctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    # The words up to the cursor without "meshctl"; the last one is the word being completed.
    $words = @()
    foreach ($element in ($commandAst.CommandElements | Select-Object -Skip 1)) {
        if ($element.Extent.StartOffset -ge $cursorPosition) { break }
        if ($element.Extent.EndOffset -gt $cursorPosition) {
            $words += $element.Extent.Text.Substring(0, $cursorPosition - $element.Extent.StartOffset)
        } elseif ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
            $words += $element.Value
        } else {
            $words += $element.Extent.Text
        }
    }
    if ($wordToComplete -eq '') { $words += '' }

    # Windows PowerShell and PowerShell before 7.3 drop empty arguments to native commands.
    $version = $PSVersionTable.PSVersion
    $legacy = $version.Major -lt 7 -or ($version.Major -eq 7 -and $version.Minor -lt 3) -or $PSNativeCommandArgumentPassing -eq 'Legacy'
    $arguments = @('__complete', '--') + @($words | ForEach-Object { if ($legacy -and $_ -eq '') { '""' } else { $_ } })
    $answer = @(& meshctl @arguments 2>$null)
    if ($answer.Count -eq 0) { return }
    $directive = [string]$answer[-1]
    if (-not $directive.StartsWith(':')) { return }
    $entries = if ($answer.Count -gt 1) { $answer[0..($answer.Count - 2)] } else { @() }

    foreach ($entry in $entries) {
        $value, $description = ([string]$entry) -split [char]9, 2
        if (-not $value -or -not $value.StartsWith($wordToComplete)) { continue }
        if (-not $description) { $description = $value }
        $text = if ($value -match '[\s''"$;,(){}@&|<>#]') { "'" + ($value -replace "'", "''") + "'" } else { $value }
        [System.Management.Automation.CompletionResult]::new($text, $value, 'ParameterValue', $description)
    }

    if ($directive -like '*files*') {
        $prefix = ''
        $target = $wordToComplete
        if ($wordToComplete -match '^(--[^=]*=)(.*)$') { $prefix = $Matches[1]; $target = $Matches[2] }
        $parent = Split-Path -Path $target -Parent
        Get-ChildItem -Path "$target*" -ErrorAction SilentlyContinue | ForEach-Object {
            $path = if ($parent) { Join-Path $parent $_.Name } else { $_.Name }
            if ($_.PSIsContainer) { $path += [System.IO.Path]::DirectorySeparatorChar }
            $text = if ($path -match '\s') { "'" + (($prefix + $path) -replace "'", "''") + "'" } else { $prefix + $path }
            [System.Management.Automation.CompletionResult]::new($text, $_.Name, 'ProviderItem', $path)
        }
    }
}
`;

/** Returns the completion script of `shell`. */
export function completionScript(shell: CompletionShell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH, powershell: POWERSHELL }[shell];
}
