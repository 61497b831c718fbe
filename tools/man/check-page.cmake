# ctest: cmake -DPAGE=xferctl.1 -DTOOL=xferctl -DVERSION=0.10.0 -P check-page.cmake
#
# What help2man could quietly get wrong if a tool's --help or --version
# changed shape: the SYNOPSIS comes from the usage lines, the version and the
# footer from --version, the options from --help.
file(READ ${PAGE} page)
foreach(needle
    ".TH ${TOOL_UPPER} \"1\""
    "\"xferblk ${VERSION}\""
    ".SH NAME\n${TOOL} \\-"
    ".SH SYNOPSIS\n.B ${TOOL}\n"
    ".SH DESCRIPTION"
    ".SH \"SEE ALSO\"")
  string(FIND "${page}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${PAGE}: no '${needle}'")
  endif()
endforeach()
# --help and --version, in the SYNOPSIS (--) or among the options (\-\-).
foreach(option help version)
  if(NOT page MATCHES "(\\\\-\\\\-|--)${option}")
    message(FATAL_ERROR "${PAGE}: --${option} is not mentioned")
  endif()
endforeach()
# The tools' usage lines are "usage: ..."; for-help2man.sh turned them into
# the SYNOPSIS, so none is left in the text.
if(page MATCHES "[Uu]sage:")
  message(FATAL_ERROR "${PAGE}: a usage line was not taken for the SYNOPSIS")
endif()
