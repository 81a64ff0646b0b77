#!version:1.0.0.1
include:config "y000000000108.cfg"

include:config "0015654aa937.cfg"
