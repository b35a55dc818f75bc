from .cli import main

main(prog_name="tp1viz")
