-- Neither returns a function nor defines a global handler.
return 42
