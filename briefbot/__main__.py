from briefbot.cli import main

main(prog_name="briefbot")
