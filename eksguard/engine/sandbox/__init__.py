"""What runs inside the program's own Python process: the recording monitor and the program runner.

These modules import only the standard library, the Pulumi SDK and protobuf (both come with every Pulumi
program's environment) and each other, relatively: ``eksguard check`` starts ``python <this folder>`` in the
program's virtualenv, where nothing else of eksguard is installed (see ``__main__.py``).
"""
