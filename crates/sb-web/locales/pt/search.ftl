# A página de pesquisa global (ui/search.rs); os textos da caixa do cabeçalho estão em main.ftl.
search-title = Pesquisa
search-start = Digite um nome, um e-mail ou um número de telefone na caixa de pesquisa acima.
search-nothing = Nada encontrado para “{ $query }”.
search-hint = Os telefones são encontrados em qualquer formato: com ou sem o código do país, espaços ou traços.
search-found = { $count ->
    [one] { $count } resultado
   *[other] { $count } resultados
}
search-contacts = Contatos
search-companies = Empresas
search-leads = Negócios
search-more = Ver todos na lista
