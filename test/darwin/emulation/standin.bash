# The body of bin/ps and bin/lsof (`. standin.bash TOOL ARGS…`): a client of the emulation server
# (server.mjs) when one runs, in bash alone, since a Node process per call costs ~100 ms and a sweep makes
# dozens. The server reads this process's environment and uid from /proc/$$, so it answers as for this
# caller; and this process, the pid the caller started, is in the process table for the whole call,
# as the Node stand-in was (named bash now, not node). It forks nothing before the answer is made.
# With no server, or one that cannot see this process, node runs the same emulation here.
tool=$1
shift
if [[ ${MCP_REAPER_DARWIN_STANDIN_SERVER-} =~ ^([0-9]+):([0-9a-f]+)$ ]] &&
  { exec 3<>"/dev/tcp/127.0.0.1/${BASH_REMATCH[1]}"; } 2>/dev/null; then
  printf '%s\0' "${BASH_REMATCH[2]}" "$$" "$tool" "$#" "$@" >&3
  # `STATUS FD`, then the bytes for that fd until the server closes; a stale port times out.
  if read -r -t 30 status fd <&3 && [[ $status =~ ^[0-9]+$ && $fd =~ ^[12]$ ]]; then
    cat <&3 >&"$fd"
    exit "$status"
  fi
  exec 3<&-
fi
exec node "${BASH_SOURCE[0]%/*}/standin.mjs" "$tool" "$@"
