from briefbot.cli import main

if (
    __name__ == "__main__"
):  # analysis worker processes import this module too (spawn): never run the CLI there
    main(prog_name="briefbot")
