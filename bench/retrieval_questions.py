"""Questions for bench_retrieval: each names the standard-library module that answers it.

Written for this benchmark, in the words a member of staff might use; no
question contains its module's name (``check_questions`` enforces that), so
lexical search cannot win by matching the title. Some are deliberately close
to a neighbour (gzip vs zlib, heapq vs bisect, threading vs the process pool).
"""

from __future__ import annotations

import re

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("How do I parse command-line options and subcommands for my script?", "argparse"),
    ("compute a SHA-256 digest of some bytes", "hashlib"),
    ("sign a message with a secret key so the receiver can check it was not altered", "hmac"),
    ("generate a hard-to-guess token for a password reset link", "secrets"),
    (
        "turn a dictionary into text a web API accepts and decode the API's reply back into "
        "dicts and lists",
        "json",
    ),
    ("read a spreadsheet exported as comma separated values row by row", "csv"),
    ("store rows in a small SQL database file without running a database server", "sqlite3"),
    ("find every substring that matches a pattern with wildcards and capture groups", "re"),
    ("print the days of a month as a text grid with weeks starting on Monday", "calendar"),
    ("pause the program for a few seconds and read the seconds elapsed since the epoch", "time"),
    ("shuffle a list in place and draw a sample of its elements by chance", "random"),
    ("calculate the median and standard deviation of a list of numbers", "statistics"),
    ("square root, logarithm and trigonometric functions for floating point numbers", "math"),
    ("take the square root of a negative number and get a complex result", "cmath"),
    ("exact base-10 arithmetic for money with a chosen rounding mode and precision", "decimal"),
    ("represent one third exactly as a ratio of two integers", "fractions"),
    ("keep a priority queue in a plain list and pop the smallest item", "heapq"),
    ("insert a value into a sorted list so it stays sorted", "bisect"),
    ("count how many times each word occurs, and a tuple whose fields have names", "collections"),
    ("chain several iterables together and produce all permutations or combinations", "itertools"),
    (
        "remember the results of an expensive function call and fix some of a function's "
        "arguments in advance",
        "functools",
    ),
    (
        "get a function that adds two values like the + sign does, or an attribute getter to use "
        "as a sort key",
        "operator",
    ),
    ("make a deep duplicate of a nested object so changes don't affect the original", "copy"),
    ("save an arbitrary Python object to a byte stream and load it back later", "pickle"),
    ("a persistent dictionary stored on disk whose values can be any Python object", "shelve"),
    ("recursively duplicate a whole directory tree and later delete it", "shutil"),
    ("find all pathnames matching a wildcard pattern like *.txt, recursively with **", "glob"),
    ("test whether one filename matches a Unix shell-style pattern", "fnmatch"),
    ("create a scratch file or folder that is removed automatically when closed", "tempfile"),
    (
        "open an archive, list its members and extract one, for the format Windows uses for "
        "compressed folders",
        "zipfile",
    ),
    ("unpack a tape archive that may be compressed", "tarfile"),
    ("read and write files compressed in the GNU zip format, like the gunzip tool", "gzip"),
    ("compress data with the libbzip2 library", "bz2"),
    ("compress files to the .xz format", "lzma"),
    ("compress bytes in memory with deflate and compute an Adler-32 checksum", "zlib"),
    (
        "encode binary data as printable ASCII characters (Base32, Base85) and decode it again",
        "base64",
    ),
    ("convert raw bytes to a hexadecimal representation and compute a CRC-32 value", "binascii"),
    ("pack integers and floats into a binary record laid out like a C structure", "struct"),
    ("register a custom text encoding together with its encoder and decoder", "codecs"),
    ("look up the official name and the category of a Unicode character", "unicodedata"),
    ("wrap a long paragraph to 70 columns and remove common leading indentation", "textwrap"),
    ("compare two lists of lines and produce a unified diff", "difflib"),
    ("print a nested data structure nicely formatted over several lines", "pprint"),
    ("define a set of symbolic names bound to constant values, like RED = 1", "enum"),
    (
        "generate __init__ and __repr__ automatically for a class with annotated fields",
        "dataclasses",
    ),
    (
        "declare a base class whose subclasses must implement a method before they can be "
        "instantiated",
        "abc",
    ),
    ("write a context manager for the with statement using a generator function", "contextlib"),
    (
        "refer to an object without keeping it alive, with a callback when it is finalized",
        "weakref",
    ),
    ("force a collection of reference cycles and set the collection thresholds", "gc"),
    ("get the signature and the source code of a live function object", "inspect"),
    ("show the bytecode instructions of a function", "dis"),
    ("parse Python source into a syntax tree and walk over its nodes", "ast"),
    ("split Python source code into tokens, comments included", "tokenize"),
    ("format the stack trace of an exception as a string", "traceback"),
    ("tell callers that a function is deprecated and filter which alerts are shown", "warnings"),
    ("write diagnostic messages with severity levels to a file and the console", "logging"),
    ("write test cases with setUp and assertEqual and run them", "unittest"),
    ("run the interactive examples embedded in docstrings and check their output", "doctest"),
    ("measure how long a small snippet of code takes to execute", "timeit"),
    ("find which functions take the most time when my program runs", "cProfile"),
    ("set a breakpoint and step through code line by line interactively", "pdb"),
    ("run an external command, capture its output and check its exit code", "subprocess"),
    ("start a thread and protect shared data with a lock", "threading"),
    (
        "run a function on a pool of workers and collect its results as they complete",
        "concurrent.futures",
    ),
    (
        "a FIFO that several producer and consumer threads can share safely, with a maximum size",
        "queue",
    ),
    ("run events at given times with priorities, using a custom clock and delay function", "sched"),
    ("install a handler that runs when the process receives SIGINT or an alarm", "signal"),
    ("open a TCP connection to a host and port and send bytes over it", "socket"),
    ("wrap a network connection in TLS and verify the server's certificate", "ssl"),
    (
        "wait until any of many sockets is ready for reading, using epoll or poll underneath",
        "selectors",
    ),
    (
        "split a web address into scheme, host, path and query string, and percent-encode "
        "special characters",
        "urllib.parse",
    ),
    (
        "open a web page by URL with a custom header, handling redirects and proxies",
        "urllib.request",
    ),
    ("send an email through a mail server with authentication", "smtplib"),
    ("upload a file to a file transfer server and list remote directories", "ftplib"),
    ("generate a random 128-bit identifier, version 4, for a database row", "uuid"),
    ("check whether an IPv4 address belongs to a network such as 192.168.0.0/24", "ipaddress"),
    ("guess the content type of a file from its extension", "mimetypes"),
    ("read the audio frames, sample rate and number of channels of a sound file", "wave"),
    ("convert a colour between RGB and hue, saturation, value", "colorsys"),
    ("compare two folders and find out which files differ", "filecmp"),
    ("order tasks so that each one comes after the tasks it depends on", "graphlib"),
    ("split a command line string the way a Unix shell would, respecting quotes", "shlex"),
    ("loop over the lines of every file named on the command line, or standard input", "fileinput"),
    (
        "parse a document of nested tags and attributes and find elements by their tag",
        "xml.etree.ElementTree",
    ),
    ("read settings from an INI file with sections and default values", "configparser"),
    ("ask the user for a password at the terminal without echoing it", "getpass"),
    ("find out the operating system name, release and the machine architecture", "platform"),
    ("format numbers according to the user's regional conventions", "locale"),
    ("translate a program's messages into the user's language", "gettext"),
    ("treat an in-memory string or bytes buffer as a file object", "io"),
    ("a compact sequence of numbers that all have the same C type", "array"),
    ("open a URL in the user's default browser in a new tab", "webbrowser"),
    ("write and read Apple property list files", "plistlib"),
    (
        "send a request to a web server at a low level and read the response status and headers",
        "http.client",
    ),
)

_WORD = re.compile(r"[a-z0-9_]+")


def check_questions(questions: tuple[tuple[str, str], ...] = QUESTIONS) -> None:
    """Fail loudly if a question names its own module (that would be a giveaway)."""
    for question, module in questions:
        words = set(_WORD.findall(question.lower()))
        parts = set(module.lower().split("."))
        if words & parts:
            raise ValueError(f"question {question!r} names its module {module!r}")
