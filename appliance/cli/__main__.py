"""``python -m appliance.cli``: the same as the ``appliance`` command."""

from appliance.cli import main

if __name__ == "__main__":
    main()
