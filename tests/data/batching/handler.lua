return function(event) return {} end
