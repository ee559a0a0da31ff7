# A central de avisos dos administradores: problemas de integrações (V9).
alerts-title = Alertas de integrações
alerts-intro = Problemas das integrações de telefonia que um administrador pode resolver. Um alerta dispensado volta se o problema se repetir.
alerts-none = Não há problemas. Tudo está funcionando.
alerts-integration = Integração
alerts-what-to-do = O que fazer:
alerts-first-seen = Primeira vez
alerts-last-seen = Última vez
alerts-detail = Último detalhe
alerts-dismiss = Dispensar
alerts-open-telephony = Abrir as configurações de telefonia
alerts-open-integration = Abrir as configurações da integração
alerts-count = { $count ->
    [one] Aconteceu uma vez
   *[other] Aconteceu { $count } vezes
}
alerts-bell = { $count ->
    [0] Alertas de integrações: nenhum
    [one] Alertas de integrações: { $count } aberto
   *[other] Alertas de integrações: { $count } abertos
}
alerts-bad-signature-title = Webhooks recusados: assinatura inválida
alerts-bad-signature-explain = As notificações de chamadas do PABX chegam assinadas com o segredo da integração. Estas chegaram sem uma assinatura válida, então foram recusadas e as chamadas não foram registradas.
alerts-bad-signature-fix = Confirme que a chave e o segredo salvos aqui são os das configurações de API do PABX. Se forem, outra pessoa pode estar enviando pedidos para a URL do webhook: crie um segredo novo no PABX e salve-o aqui.
alerts-forbidden-source-title = Webhooks recusados: endereço não permitido
alerts-forbidden-source-explain = Chegaram notificações de um endereço fora da lista de endereços permitidos da integração, então foram recusadas.
alerts-forbidden-source-fix = Se o endereço for do seu provedor de PABX, adicione-o à lista de permitidos nas configurações de telefonia. Se não, deixe-o recusado.
alerts-pbx-unreachable-title = O PABX não pode ser alcançado
alerts-pbx-unreachable-explain = Os pedidos à API do PABX (ligar com um clique, o estado, as gravações) não chegaram ou não tiveram resposta a tempo.
alerts-pbx-unreachable-fix = Verifique a URL da API nas configurações da integração e se este servidor alcança o PABX pela rede.
alerts-pbx-auth-title = O PABX recusou a chave e o segredo
alerts-pbx-auth-explain = O PABX respondeu que a chave e o segredo da API não são válidos, então ligar com um clique e as gravações não funcionam.
alerts-pbx-auth-fix = Crie uma chave e um segredo novos nas configurações de API do PABX e salve-os nas configurações da integração.
alerts-recording-failed-title = Não foi possível baixar gravações de chamadas
alerts-recording-failed-explain = Uma gravação foi tentada muitas vezes ao longo de várias horas e não pôde ser baixada e guardada, então não pode ser ouvida no CRM.
alerts-recording-failed-fix = Verifique se o PABX guarda as gravações e se a chave pode lê-las, e se o armazenamento de gravações está configurado e acessível.
alerts-autocreate-failed-title = Não foram criados cartões para chamadores desconhecidos
alerts-autocreate-failed-explain = Criar um contato ou um lead para uma chamada de um número desconhecido falhou depois de todas as tentativas.
alerts-autocreate-failed-fix = Verifique as configurações de criação automática da integração e se a conta tem um funil com uma etapa de entrada.
