-- A module next to a handler: require finds it without any environment variable.
return { answer = 42 }
